/*
 * Tally snippet: first-party referral cookie, signup reporting and a health ping.
 *
 *   <script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>
 *   <script async src="https://TALLY_HOST/snippet.js" data-key="pk_…"></script>
 *
 * Optional attributes: data-api, data-cookie-domain, data-window-days.
 * Served minified by script.go (esbuild); keep it ES2017 and dependency-free.
 */
(function (W, D, L) {
  var REF = 'tally_ref';
  var host = L.hostname;
  var noop = () => {};
  var BAD = 'data-key is missing or is not a public key (pk_…)';
  var script, key = '', keyOk = false, api = '', apiHost;
  var reg = ''; // registrable domain found by the cookie trick ('' on localhost, IPs, or when cookies are blocked)
  var dom = ''; // domain attribute for tally_ref ('' = host-only)
  var cdom = ''; // domain tally_ref currently lives on
  var urlRef = null; // valid token from this page's URL
  var ok = false; // cookie_ok
  var isFn = (f) => typeof f === 'function';

  // Runs f, swallowing exceptions (console missing, sandboxed history, refused beacon, ...).
  var safe = (f) => { try { return f(); } catch (e) { /* ignored */ } };

  var say = (level, msg) => safe(() => console[level]('Tally: ' + msg));

  var attr = (name) => script && script.getAttribute('data-' + name);

  var within = (h, d) => !!d && (h === d || h.slice(-d.length - 1) === '.' + d);

  var strip = (d) => (d || '').trim().replace(/^\./, '').toLowerCase();

  // All values of the tally_ref cookies visible to script.
  var vals = () => D.cookie.split(/;\s*/).filter((c) => c.indexOf(REF + '=') === 0).map((c) => c.slice(REF.length + 1));

  var put = (name, value, age, d) => {
    D.cookie = name + '=' + value + ';path=/;max-age=' + age + ';SameSite=Lax' +
      (L.protocol === 'https:' ? ';Secure' : '') + (d ? ';domain=' + d : '');
  };

  // Can a cookie be written (on domain d, or host-only) and read back?
  var test = (d, r) => {
    put('tally_t', 1, 9, d);
    r = /(^|;\s*)tally_t=1(;|$)/.test(D.cookie);
    put('tally_t', 1, 0, d);
    return r;
  };

  // Writes tally_ref=urlRef for `days` on domain d, falling back to host-only.
  var store = (days, d) => {
    if (d !== cdom) put(REF, '', 0, cdom); // no stale copy on another domain
    put(REF, urlRef, days * 86400 | 0, d);
    ok = vals().indexOf(urlRef) >= 0;
    if (ok || !d) cdom = d;
    else store(days, '');
  };

  // The URL token is the newest click unless another tab has since written a newer one.
  var getRef = (v) => (v = vals(), urlRef && (!ok || v.indexOf(urlRef) >= 0) ? urlRef : v[0] || urlRef || null);

  var signup = (o, cb) => {
    o = o || {};
    var b = { public_key: key, ref: getRef() };
    ['email', 'name', 'external_id'].forEach((k) => { b[k] = o[k] == null ? null : o[k]; });
    var p = keyOk && api
      ? fetch(api + '/v1/snippet/signup', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        // Same-site API (a CNAME such as go.vendor.com): let the server-set cookie ride along.
        credentials: within(apiHost, reg || host) ? 'include' : 'omit',
        body: JSON.stringify(b)
      }).then((r) => r.json().catch(noop).then((d) => {
        if (r.ok) return d;
        throw Object.assign(new Error('Tally: signup HTTP ' + r.status), { status: r.status, body: d });
      }))
      : Promise.reject(new Error('Tally: ' + BAD));
    // Marks p as handled (no "Uncaught (in promise)") and reports to the callback.
    p.then((d) => isFn(cb) && cb(null, d), (e) => {
      if (keyOk) safe(() => console.warn(e));
      if (isFn(cb)) cb(e);
    });
    return p;
  };

  function tally(cmd, a, b) {
    try {
      if (cmd === 'signup') return signup(a, b);
      if (cmd === 'ref') return getRef();
      if (cmd !== 'ready') say('warn', 'unknown command ' + cmd);
      else if (isFn(a)) a(getRef());
    } catch (e) {
      say('error', cmd + ': ' + e);
    }
  }

  var run = (a) => a && typeof a === 'object' && tally.apply(0, a);

  try {
    if (W.__tly) return; // already loaded on this page
    Object.defineProperty(W, '__tly', { value: tally });
    Object.defineProperty(tally, '_tly', { value: true });

    script = D.currentScript || D.querySelector('script[src*="snippet.js"]');
    key = (attr('key') || '').trim();
    keyOk = /^pk_[A-Za-z0-9]{8,64}$/.test(key);
    safe((a, u) => {
      a = attr('api');
      u = new URL(a || script.src, L.href);
      apiHost = u.hostname;
      api = a ? a.replace(/\/+$/, '') : u.origin;
    });
    var days = +attr('window-days');
    var fixedDays = days > 0;
    if (!fixedDays) days = 90;
    var forced = strip(attr('cookie-domain'));

    // 1. The click token: URL -> first-party cookie, then out of the address bar.
    var sp = new URLSearchParams(L.search);
    var raw = sp.get(REF);
    var parts = host.split('.');
    // Registrable domain: the shortest suffix of the host that accepts a cookie.
    for (var i = parts.length - 2; !reg && i >= 0 && !/^[\d.]+$|[:[]|^localhost$/.test(host); i--) {
      if (test(dom = parts.slice(i).join('.'))) reg = dom;
    }
    dom = forced || reg;
    if (raw && /^[\w\-.~=+/]{1,4096}$/.test(raw)) {
      urlRef = raw;
      store(days, dom);
    } else {
      ok = !raw && (test(dom) || test(''));
    }
    var href = L.href;
    if (sp.has(REF)) {
      var q = L.search.slice(1).split('&').filter((s) => !new URLSearchParams(s).has(REF)).join('&');
      href = href.split(/[?#]/)[0] + (q ? '?' + q : '') + L.hash;
      safe(() => history.replaceState(history.state, '', href));
    }

    if (!keyOk) {
      say('error', BAD + ': use the public_key from `tally vendor create` or the admin API (never sk_…)');
      if (/^sk_/.test(key)) key = 'sk_'; // never send a secret key around
    }

    // 2. The attribution window, when the page did not fix it.
    if (urlRef && !fixedDays && keyOk && api) {
      fetch(api + '/v1/snippet/config?public_key=' + key).then((r) => r.json()).then((c) => {
        var d = +c.attribution_window_days;
        var cd = strip(c.cookie_domain);
        if (vals().indexOf(urlRef) >= 0) store(d > 0 ? d : days, !forced && within(host, cd) ? cd : dom);
      }).catch(noop);
    }

    // 3. One health ping per page load.
    if (api) {
      var u = api + '/v1/snippet/ping';
      var body = JSON.stringify({ public_key: key, url: href, ref_in_url: !!raw, cookie_ok: ok });
      if (!safe(() => navigator.sendBeacon(u, new Blob([body], { type: 'text/plain' })))) {
        fetch(u, { method: 'POST', keepalive: true, body: body, headers: { 'Content-Type': 'text/plain' } }).catch(noop);
      }
    }

    // 4. Take over window.tally (keeping unrelated properties) and replay the queue.
    var old = W.tally || 0;
    var oq = old.q;
    Object.keys(old).forEach((k) => k !== 'q' && safe(() => { tally[k] = old[k]; }));
    tally.q = { push: run };
    W.tally = tally;
    [].slice.call(oq || [], 0, 1000).forEach(run);
  } catch (e) {
    say('error', 'snippet failed: ' + e);
  }
})(window, document, location);
