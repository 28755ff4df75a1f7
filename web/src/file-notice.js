// Opened from disk (file://), the browser refuses to load the page's ES
// modules and the WebAssembly next to it, so app.js never runs. This classic
// script still does: it says so, and how to serve the page instead.
if (location.protocol === 'file:') {
  const show = () => {
    const status = document.getElementById('status');
    if (!status) return;
    status.classList.add('failed');
    status.dataset.testid = 'file-notice';
    status.textContent = '';
    const lines = [
      'This page was opened from a file (file://), where the browser does not load its modules and WebAssembly. ',
      'Serve it over http instead: from the repository, run ',
    ];
    status.append(lines[0], lines[1]);
    const cmd = document.createElement('code');
    cmd.textContent = 'node web/serve.mjs';
    status.append(cmd, ' and open ');
    const url = document.createElement('code');
    url.textContent = 'http://127.0.0.1:8000/';
    status.append(url, ' (any static server of this folder works too, e.g. ');
    const py = document.createElement('code');
    py.textContent = 'python3 -m http.server';
    status.append(py, ').');
    document.body.dataset.ready = 'file';
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
  else show();
}
