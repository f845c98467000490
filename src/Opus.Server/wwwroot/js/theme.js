// Light or dark: the system's prefers-color-scheme unless the header's toggle chose one, remembered in
// localStorage. A classic script in <head> (not a module), so the choice applies before the first paint.
(() => {
  const KEY = 'opus.theme';
  const root = document.documentElement;
  const system = window.matchMedia('(prefers-color-scheme: dark)');
  const stored = () => { try { return localStorage.getItem(KEY); } catch { return null; } };
  const dark = () => (root.dataset.theme || (system.matches ? 'dark' : 'light')) === 'dark';
  const choice = stored();
  if (choice === 'dark' || choice === 'light') root.dataset.theme = choice;

  function show(button) {
    button.setAttribute('aria-pressed', String(dark()));
  }

  document.addEventListener('DOMContentLoaded', () => {
    const button = document.getElementById('theme-toggle');
    if (!button) return;
    show(button);
    system.addEventListener('change', () => show(button));
    button.addEventListener('click', () => {
      const next = dark() ? 'light' : 'dark';
      root.dataset.theme = next;
      try { localStorage.setItem(KEY, next); } catch { /* private mode: for this page only */ }
      show(button);
    });
  });
})();
