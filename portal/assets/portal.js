// Live updates of the request inspector: every two seconds, the requests newer than the newest
// one shown are fetched (an HTML fragment rendered and escaped by the server) and put on top.
// Nothing is stored in the browser.
'use strict';
(function () {
  const list = document.getElementById('requests');
  const live = document.getElementById('live');
  const status = document.getElementById('live-status');
  if (!list || !live) return;
  const max = 200;
  let busy = false;
  async function poll() {
    if (busy || !live.checked || document.hidden) return;
    busy = true;
    try {
      const newest = list.querySelector('li[data-seq]');
      const params = new URLSearchParams(list.dataset.query || '');
      params.set('after', newest ? newest.dataset.seq : (list.dataset.after || '0'));
      const res = await fetch('/portal/requests/feed?' + params.toString(), { credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) {
        live.checked = false;
        status.textContent = 'Signed out: live updates stopped. Sign in again and reload.';
        return;
      }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const html = (await res.text()).trim();
      if (html === '') return;
      list.insertAdjacentHTML('afterbegin', html);
      const empty = document.getElementById('no-requests');
      if (empty) empty.remove();
      const rows = list.querySelectorAll('li[data-seq]');
      for (let i = max; i < rows.length; i++) rows[i].remove();
      const added = (html.match(/<li data-seq=/g) || []).length;
      status.textContent = added + (added === 1 ? ' new request' : ' new requests') + ' at ' + new Date().toLocaleTimeString();
    } catch (err) {
      status.textContent = 'Live updates failed (' + err.message + '); retrying.';
    } finally {
      busy = false;
    }
  }
  live.addEventListener('change', () => { status.textContent = live.checked ? 'Live updates on.' : 'Live updates paused.'; });
  setInterval(poll, 2000);
})();
