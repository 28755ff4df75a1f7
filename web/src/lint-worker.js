// The page's linter, off the main thread: typing never waits for a lint.
// app.js sends one request at a time (see answer.js); the answer, or
// { id, failed } when the linter threw, comes back as a message.
// The same component module as the page (policy/policy.js, jco output).
import { answer, errorText } from './answer.js';

const policyModule = import('./policy/policy.js');

self.onmessage = async (e) => {
  const policy = await policyModule;
  try {
    self.postMessage(answer(policy, e.data));
  } catch (err) {
    self.postMessage({ id: e.data.id, failed: errorText(err) });
  }
};
