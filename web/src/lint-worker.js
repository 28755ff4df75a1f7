// The page's linter, off the main thread: typing never waits for a lint.
// app.js sends one request at a time (see answer.js); the answer, or
// { id, failed } when the linter threw, comes back as a message.
// The same component module as the page (policy/policy.js, jco output).
import { answer, errorText } from './answer.js';

const policyModule = import('./policy/policy.js');
// Until this arrives, the page lints small texts itself (its own copy of the
// component is loaded as soon as this one): the first diagnostics do not wait
// for the worker's copy to compile.
policyModule.then(() => self.postMessage({ ready: true }));

// Besides lints: { call, method, args } asks the assist interface (the
// editor's completions and hovers); the answer is { call, result } or { call, error }.
const CALLS = new Set(['complete', 'hover']);

self.onmessage = async (e) => {
  const policy = await policyModule;
  const { call, method, args } = e.data;
  if (call !== undefined) {
    try {
      if (!CALLS.has(method) || typeof policy.assist?.[method] !== 'function') throw new Error(`no assist.${method}`);
      self.postMessage({ call, result: policy.assist[method](...args) });
    } catch (err) {
      self.postMessage({ call, error: errorText(err) });
    }
    return;
  }
  try {
    self.postMessage(answer(policy, e.data));
  } catch (err) {
    self.postMessage({ id: e.data.id, failed: errorText(err) });
  }
};
