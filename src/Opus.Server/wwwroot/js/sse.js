// Server-Sent Events over fetch: EventSource cannot send an Authorization header, fetch can.
// Reconnects after a drop (1 s, doubling to at most 15 s); close() ends it for good.
import { headers, serverPath } from './api.js';

export function openEvents(path, onEvent, onState = () => {}) {
  let controller = null;
  let closed = false;
  let delay = 1000;
  let timer = null;

  async function connect() {
    controller = new AbortController();
    try {
      const response = await fetch(serverPath(path), { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal, cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      onState(true);
      delay = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(block);
        }
      }
    } catch (e) {
      if (closed) return;
    }
    onState(false);
    if (!closed) {
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    }
  }

  function dispatch(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') type = value;
      else if (name === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let payload = data.join('\n');
    try { payload = JSON.parse(payload); } catch { /* plain text */ }
    onEvent(type, payload);
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (controller) controller.abort();
    },
  };
}
