// Household visits (走访) from a cheap phone on a weak signal: nothing typed may be lost.
// - While the worker types, the form's text fields are kept as a draft in localStorage.
// - Photos are shrunk in the browser first: the upload is the slow part on a weak signal.
// - Every visit goes into the queue (IndexedDB) first and is sent from there, with its upload
//   progress shown, so the worker may leave the page while it goes; one that cannot be sent now
//   goes out on the next page load or when the connection returns.
// - One sender per queued visit: whoever sends it (the form, the `online` event, another tab)
//   first claims it in IndexedDB for a while (a lease). The server stores each client_id once,
//   so a visit sent twice anyway (an answer lost on the way back) is still harmless.
// - In a secure context a service worker (templates/visits/sw.js) opens visit forms offline;
//   this file keeps what it needs in the page cache when the worker's list is opened.
// Loaded on every page from base.html; no inline script (the Content-Security-Policy forbids it).
(() => {
  "use strict";
  const MAX_SIDE = 1600;
  const SEND_TIMEOUT = 90000; // a few photos over weak 3G can take a minute
  const RETRY_FAILED_AFTER = 15 * 60 * 1000; // a refused visit will not fix itself in seconds
  const NOT_RESTORED = ["csrfmiddlewaretoken", "household", "place"];
  // How long a claim on a queued visit holds unless its sender renews it (it does, every
  // RENEW ms while it sends): a sender that vanished (a page left mid-upload, a closed tab)
  // blocks the visit this long at most where Web Locks cannot tell that it is gone.
  const LEASE = 30000;
  const RENEW = 10000;
  const PAGE_CACHE = "grid-pages";
  const CACHE_OWNER = "/visits/cache-owner";
  const KIT_MAX_AGE = 60 * 60 * 1000; // the household list is refreshed hourly at most

  // crypto.randomUUID exists only in secure contexts, which plain-HTTP intranets are not.
  function uuid4() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Read at send time: a queued visit may go out from a later page, after a new sign-in.
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return match ? decodeURIComponent(match[1]) : input ? input.value : "";
  }

  // --- The queue: IndexedDB keyed on client_id, so queueing a visit again replaces it ---
  let opening = null;
  function database() {
    opening = opening || new Promise((resolve, reject) => {
      const request = indexedDB.open("grid-visits", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("queue", { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => { opening = null; reject(request.error); };
    });
    return opening;
  }
  async function inQueue(mode, work) {
    const tx = (await database()).transaction("queue", mode);
    const request = work(tx.objectStore("queue"));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }
  const queued = async () => (await inQueue("readonly", (s) => s.getAll()))
    .sort((a, b) => a.queued_at - b.queued_at);
  const enqueue = (entry) => inQueue("readwrite", (s) => s.put(entry));
  const dequeue = (id) => inQueue("readwrite", (s) => s.delete(id));

  // Changes one entry in a single transaction (IndexedDB runs overlapping read-write
  // transactions one at a time, across tabs too): ``change(entry)`` returns the new entry,
  // or nothing to leave it. Resolves to the entry written, or null.
  async function update(id, change) {
    const tx = (await database()).transaction("queue", "readwrite");
    const store = tx.objectStore("queue");
    let written = null;
    const read = store.get(id);
    read.onsuccess = () => {
      const next = read.result && change(read.result);
      if (next) { store.put(next); written = next; }
    };
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(written);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }
  const PAGE = uuid4(); // who holds a claim
  const LOCK = "grid-visits-page-";
  // In a secure context each page holds a Web Lock for its life, which the browser drops when
  // the page goes: a claim whose page's lock is gone is free at once.
  if (navigator.locks) { navigator.locks.request(LOCK + PAGE, () => new Promise(() => {})).catch(() => {}); }
  const held = new Set();
  const claim = async (id) => {
    let alive = null;
    try { alive = navigator.locks && new Set((await navigator.locks.query()).held.map((l) => l.name)); } catch (error) { /* lease only */ }
    const busy = (e) => (e.sending_until || 0) > Date.now() && (!alive || alive.has(LOCK + e.sender));
    const entry = await update(id, (e) => (busy(e) ? null
      : Object.assign({}, e, { sending_until: Date.now() + LEASE, sender: PAGE, tries: (e.tries || 0) + 1 })));
    if (entry) { held.add(id); }
    return entry;
  };
  const release = async (id, changes) => {
    held.delete(id);
    return update(id, (e) => (e.sender === PAGE ? Object.assign({}, e, { sending_until: 0 }, changes) : null));
  };

  // --- One request for the form and for the queue ---
  const messagesOf = (list) => [].concat(list).map((m) => (typeof m === "string" ? m : m.message));
  const flatten = (errors) => Object.values(errors).map((l) => messagesOf(l).join(" ")).join(" ");

  // XMLHttpRequest, not fetch: only it reports upload progress.
  function post(entry, body, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", entry.url);
      xhr.timeout = SEND_TIMEOUT;
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      if (onProgress) {
        xhr.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable && event.total) { onProgress(Math.floor((100 * event.loaded) / event.total)); }
        });
      }
      xhr.onload = () => resolve(xhr);
      // Offline, dropped, timed out or the page left: it waits, nothing is lost.
      xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve(null);
      xhr.send(body);
    });
  }

  async function send(entry, onProgress) {
    const body = new FormData();
    // Django reads a (possibly stale) form token before the header, so send only the header's.
    entry.fields.forEach(([n, v]) => { if (n !== "csrfmiddlewaretoken") { body.append(n, v); } });
    entry.photos.forEach((photo) => body.append("photos", photo, photo.name || "photo.jpg"));
    // When the worker pressed Save, not when the queue got through (for the server to use).
    body.append("visited_at", new Date(entry.queued_at).toISOString());
    const xhr = await post(entry, body, onProgress);
    if (!xhr || !xhr.status) { return { kind: "retry" }; }
    let data = null;
    if ((xhr.getResponseHeader("Content-Type") || "").includes("json")) {
      try { data = JSON.parse(xhr.responseText); } catch (error) { data = null; }
    }
    const status = xhr.status;
    const text = (data && data.errors && flatten(data.errors)) || `${status} ${xhr.statusText}`;
    if (status < 300 && data && data.url) {
      return { kind: "done", url: data.url, followUps: data.follow_ups || [] };
    }
    // A 200 that is not our JSON is the sign-in page (session expired): keep it for later.
    if (status < 300 || status === 408 || status === 429) { return { kind: "retry" }; }
    if (status >= 500) { return { kind: "server", message: text }; }
    return { kind: status === 400 && data && data.errors ? "invalid" : "refused", errors: data && data.errors, message: text };
  }

  async function arrived(entry) {
    try {
      const holder = document.querySelector("[data-sent-url]");
      if (!holder) { return null; }
      const response = await fetch(holder.dataset.sentUrl.replace(/[0-9a-f-]{36}/, entry.client_id), {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const data = response.ok && (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
      return data && data.url ? { kind: "done", url: data.url, followUps: [] } : null;
    } catch (error) {
      return null; // no answer: send it; the server still stores it once
    }
  }

  // Sends one queued visit if no one else is sending it: {kind: "busy"} if someone is. A sent
  // visit leaves the queue; any other outcome releases the claim for the caller to decide.
  async function sendQueued(id, onProgress) {
    const entry = await claim(id);
    if (!entry) { return { kind: "busy" }; }
    let outcome = { kind: "retry" };
    const renew = setInterval(() => {
      update(id, (e) => (e.sender === PAGE ? Object.assign({}, e, { sending_until: Date.now() + LEASE }) : null)).catch(() => {});
    }, RENEW);
    try {
      // Tried before without hearing the end: the server may have it already; ask first
      // rather than send the photos again.
      outcome = (entry.tries > 1 && (await arrived(entry))) || (await send(entry, onProgress));
    } finally {
      clearInterval(renew);
      if (outcome.kind === "done") {
        held.delete(id);
        await dequeue(id);
      } else {
        await release(id);
      }
    }
    return outcome;
  }

  let flushing = false;
  let again = 0;
  async function flush() {
    if (flushing || !navigator.onLine) { return; }
    flushing = true; // one pass at a time in this page; claims keep other senders off an entry
    let busy = false;
    try {
      for (const entry of await queued()) {
        if (entry.failed && Date.now() - entry.failed_at < RETRY_FAILED_AFTER) { continue; }
        const outcome = await sendQueued(entry.client_id, (p) => progress(entry.client_id, p));
        if (outcome.kind === "retry") {
          finished(entry.client_id, outcome); // a form following it says "kept on this phone"
          break; // wait for the next page load or `online`
        }
        busy = busy || outcome.kind === "busy";
        if (outcome.kind !== "done" && outcome.kind !== "busy") {
          // Refused, or a server error: keep it with the reason, let the ones behind it go.
          await update(entry.client_id, (e) => Object.assign({}, e, { failed: outcome.message, failed_at: Date.now() }));
        }
        finished(entry.client_id, outcome);
        await showQueue();
      }
    } catch (error) {
      // No IndexedDB (some private windows): then nothing was queued either.
    } finally {
      flushing = false;
      await showQueue();
    }
    // Another sender has one (another tab, or a page just left whose claim has not lapsed):
    // look again soon, in case that sender is gone.
    clearTimeout(again);
    if (busy) { again = setTimeout(flush, RENEW / 2); }
  }
  // The form page follows its own visit however it is sent (by itself or by `online`).
  const watchers = new Map();
  const progress = (id, p) => { const w = watchers.get(id); if (w) { w.progress(p); } };
  const finished = (id, outcome) => { const w = watchers.get(id); if (w) { w.finished(outcome); } };

  // The navbar badge: how many visits wait; why some were refused in its title.
  async function showQueue() {
    const badge = document.getElementById("visit-queue");
    if (!badge) { return; }
    const entries = await queued().catch(() => []);
    const form = document.getElementById("visit-form");
    const text = (form && form.dataset.waitingText) || badge.dataset.waitingText || "%(n)s";
    badge.textContent = text.replace("%(n)s", entries.length);
    badge.classList.toggle("d-none", !entries.length);
    const failed = entries.filter((e) => e.failed).map((e) => e.failed);
    if (failed.length) { badge.title = failed.join("\n"); } else { badge.removeAttribute("title"); }
    showQueueList(entries);
  }

  // The offline page's list of what waits on this phone, and why some were refused.
  function showQueueList(entries) {
    const list = document.getElementById("visit-queue-list");
    if (!list) { return; }
    const text = list.dataset;
    list.replaceChildren(...(entries.length ? entries : [null]).map((entry) => {
      const item = document.createElement("li");
      item.className = "list-group-item";
      if (!entry) {
        item.classList.add("text-body-secondary");
        item.textContent = text.emptyText;
        return item;
      }
      const label = document.createElement("span");
      label.className = "d-block fw-semibold";
      label.textContent = entry.label || text.unnamedText;
      const state = document.createElement("span");
      state.className = `d-block small ${entry.failed ? "text-danger" : "text-body-secondary"}`;
      const when = new Date(entry.queued_at).toLocaleString(document.documentElement.lang || undefined);
      const how = entry.failed ? `${text.failedText} ${entry.failed}`
        : (entry.sending_until || 0) > Date.now() ? text.sendingText : text.waitingText;
      state.textContent = `${when} · ${how}`;
      item.append(label, state);
      return item;
    }));
  }

  // --- Photos: at most 1600 px on the long side, JPEG 0.8 ---
  async function decode(file) {
    if (window.createImageBitmap) {
      // Phone cameras store "rotate me" in EXIF; from-image applies it before we draw.
      try { return await createImageBitmap(file, { imageOrientation: "from-image" }); } catch (e) { /* <img> */ }
    }
    const url = URL.createObjectURL(file);
    try {
      const image = new Image();
      image.src = url;
      await image.decode();
      return image;
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  async function shrink(file) {
    if (!file.type.startsWith("image/")) { return file; } // the server says what is wrong with it
    try {
      const image = await decode(file);
      const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) { image.close(); }
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
      canvas.width = canvas.height = 0; // give the pixels back now: cheap phones have little memory
      const name = `${file.name.replace(/\.[^.]*$/, "") || "photo"}.jpg`;
      return blob ? new File([blob], name, { type: "image/jpeg" }) : file;
    } catch (error) {
      return file; // a format this browser cannot decode (HEIC, say): the server decides
    }
  }

  // --- The visit form ---
  function setUpForm(form) {
    const key = form.dataset.draftKey;
    const clientId = form.elements.namedItem("client_id");
    const status = document.getElementById("visit-status");
    const where = document.getElementById("visit-location-status");
    const statusClass = status ? status.className : "";
    // reset() leaves hidden inputs as they are, so remember what the server rendered.
    const rendered = Array.from(form.querySelectorAll("input[type=hidden]"), (el) => [el, el.value]);
    let timer = 0;
    let busy = false;

    const say = (text, tone) => {
      if (!status) { return; }
      status.textContent = text || "";
      status.className = text ? `${statusClass} alert alert-${tone}` : statusClass;
    };
    const fields = () => Array.from(new FormData(form))
      .filter(([name, value]) => typeof value === "string" && name !== "csrfmiddlewaretoken");
    const store = (value) => {
      clearTimeout(timer);
      timer = 0;
      try {
        if (value) { localStorage.setItem(key, JSON.stringify(value)); } else { localStorage.removeItem(key); }
      } catch (error) { /* storage full or switched off: the form still works */ }
    };
    const saveDraft = () => key && store({ saved_at: Date.now(), fields: fields() });
    const clearDraft = () => key && store(null);

    // A kept draft wins, its client_id included: if that visit did reach the server before
    // the connection dropped, sending it again is recognised rather than doubled.
    function restoreDraft() {
      let draft = null;
      try { draft = JSON.parse(localStorage.getItem(key)); } catch (error) { /* no draft */ }
      if (!draft || !Array.isArray(draft.fields)) { return; }
      const values = new Map();
      draft.fields.forEach(([name, value]) => values.set(name, (values.get(name) || []).concat(value)));
      for (const el of form.elements) {
        if (!el.name || NOT_RESTORED.includes(el.name) || /file|submit|button/.test(el.type)) { continue; }
        const list = values.get(el.name) || [];
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = list.includes(el.value);
        } else if (el.multiple) {
          Array.from(el.options).forEach((o) => { o.selected = list.includes(o.value); });
        } else if (list.length) {
          el.value = list.shift();
        }
      }
    }

    function showErrors(errors) {
      const general = [];
      let first = null;
      for (const [name, list] of Object.entries(errors)) {
        const controls = Array.from(form.elements).filter((el) => el.name === name && el.type !== "hidden");
        if (!controls.length) { general.push(messagesOf(list).join(" ")); continue; }
        controls.forEach((el) => { el.classList.add("is-invalid"); el.setAttribute("aria-invalid", "true"); });
        const note = document.createElement("div");
        note.className = "visit-error invalid-feedback d-block";
        note.textContent = messagesOf(list).join(" ");
        const last = controls[controls.length - 1];
        (last.closest(".form-check") || last).after(note); // after a checkbox's label
        first = first || controls[0];
      }
      say(general.join(" ") || form.dataset.errorText, "danger");
      if (first) { first.focus(); }
    }
    function clearErrors() {
      form.querySelectorAll(".visit-error").forEach((note) => note.remove());
      form.querySelectorAll(".is-invalid").forEach((el) => {
        el.classList.remove("is-invalid");
        el.removeAttribute("aria-invalid");
      });
    }

    // A page may come from the service worker's cache, its rendered id already used by an
    // earlier visit: with JavaScript every form starts with a fresh id (a draft keeps its own).
    clientId.value = uuid4();
    if (key) {
      restoreDraft();
      const saveSoon = () => { clearTimeout(timer); timer = setTimeout(saveDraft, 300); };
      form.addEventListener("input", saveSoon);
      form.addEventListener("change", saveSoon);
      // The camera app or a closed tab may end the page inside the debounce: save now.
      const saveNow = () => { if (timer) { saveDraft(); } };
      window.addEventListener("pagehide", saveNow);
      document.addEventListener("visibilitychange", () => { if (document.hidden) { saveNow(); } });
    }

    // The outcome takes the form's place, where the worker's eyes are: saved on this phone,
    // sending (with progress), or sent; never an emptied form that looks like a lost visit.
    const panel = document.getElementById("visit-outcome");
    const panelText = panel ? panel.dataset : {};
    const part = (name) => panel && panel.querySelector(`[data-part=${name}]`);
    let current = null; // the visit the panel tells about
    function resetForm() {
      form.reset();
      rendered.forEach(([el, value]) => { el.value = value; }); // location too
      clientId.value = uuid4(); // the next visit is a new one
      if (where) { where.textContent = ""; }
    }
    function showOutcome(state, extra) {
      if (!panel) { say(state === "sent" ? form.dataset.sentText : form.dataset.queuedText, state === "sent" ? "success" : "warning"); return; }
      const bar = part("progress");
      panel.dataset.state = state;
      panel.classList.toggle("border-success", state === "sent");
      panel.classList.toggle("border-warning", state !== "sent");
      part("title").textContent = panelText[`${state}Title`];
      part("text").textContent = state === "queued" ? form.dataset.queuedText
        : state === "sending" ? panelText.leaveText : (extra && extra.message) || "";
      bar.hidden = state !== "sending";
      const follow = part("follow");
      follow.replaceChildren();
      ((extra && extra.followUps) || []).forEach((made) => {
        const line = document.createElement("p");
        line.className = "mb-2 fw-semibold";
        line.textContent = panelText.requestText.replace("%(code)s", made.code);
        follow.append(line);
        if (made.url) { // only when the worker may open it: no link ends in a 403
          const link = document.createElement("a");
          link.className = "btn btn-outline-success btn-lg w-100 mb-2";
          link.href = made.url;
          link.textContent = panelText.openText;
          follow.append(link);
        }
      });
      say("", "");
      if (panel.hidden) {
        panel.hidden = false;
        form.hidden = true;
        panel.scrollIntoView({ block: "center" });
        panel.focus({ preventScroll: true });
      }
    }
    function showProgress(percent) {
      const bar = part("progress");
      if (!bar || panel.dataset.state !== "sending") { return; }
      const p = Math.max(0, Math.min(100, percent));
      bar.setAttribute("aria-valuenow", p);
      bar.firstElementChild.style.width = `${p}%`;
      part("title").textContent = panelText.progressText.replace("%(percent)s", `${p} %`);
    }
    function backToForm() {
      if (!panel) { return; }
      panel.hidden = true;
      form.hidden = false;
      current = null;
    }
    if (panel) {
      panel.querySelector("[data-part=again]").addEventListener("click", () => {
        // The visit shown stays in the queue and is sent from there.
        if (current) { watchers.delete(current); clearDraft(); resetForm(); }
        backToForm();
        form.scrollIntoView({ block: "start" });
        const first = form.querySelector("select, input:not([type=hidden]), textarea");
        if (first) { first.focus({ preventScroll: true }); }
      });
    }

    function settle(entry, outcome) {
      if (current !== entry.client_id) { return; } // the worker moved on: the queue handles it
      watchers.delete(entry.client_id);
      if (outcome.kind === "done") {
        clearDraft();
        showOutcome("sent", { followUps: outcome.followUps });
        // The household's page tells the same (with the request's link); a panel with a
        // request to open stays for the worker to choose.
        if (!outcome.followUps.length) { window.location.assign(outcome.url); }
      } else if (outcome.kind === "invalid" || outcome.kind === "refused") {
        backToForm(); // what was typed is still there, and its draft
        if (outcome.kind === "invalid") { showErrors(outcome.errors); } else { say(outcome.message, "danger"); }
      } else {
        clearDraft();
        resetForm();
        current = entry.client_id; // resetForm does not touch the panel
        showOutcome("queued");
        showQueue();
      }
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) { return; } // a second tap while photos shrink
      busy = true;
      const buttons = Array.from(form.elements).filter((el) => el.type === "submit");
      buttons.forEach((b) => { b.disabled = true; });
      clearErrors();
      let entry = null;
      try {
        const photos = [];
        for (const input of form.querySelectorAll("input[type=file]")) {
          for (const file of input.files) { photos.push(await shrink(file)); } // one at a time
        }
        entry = {
          client_id: clientId.value, fields: fields(), photos, queued_at: Date.now(), url: form.action,
          label: form.dataset.label || "",
        };
        try {
          await enqueue(entry); // on the phone first: from here on, leaving the page loses nothing
        } catch (error) {
          entry.unqueued = true; // no IndexedDB (some private windows): send it straight
        }
      } catch (error) {
        say(String((error && error.message) || error), "danger"); // the draft stays
        entry = null;
      } finally {
        busy = false;
        buttons.forEach((b) => { b.disabled = false; });
      }
      if (!entry) { return; }
      current = entry.client_id;
      if (entry.unqueued) {
        showOutcome("sending");
        showProgress(0);
        const outcome = await send(entry, showProgress);
        if (outcome.kind === "retry" || outcome.kind === "server") {
          backToForm(); // nothing kept it: the form and its draft stay for another try
          say(outcome.message || form.dataset.unsavedText, "danger");
        } else {
          settle(entry, outcome);
        }
        return;
      }
      if (!navigator.onLine) { settle(entry, { kind: "retry" }); return; }
      showOutcome("sending");
      showProgress(0);
      await showQueue();
      watchers.set(entry.client_id, { progress: showProgress, finished: (o) => settle(entry, o) });
      let outcome;
      try {
        outcome = await sendQueued(entry.client_id, showProgress);
      } catch (error) {
        outcome = { kind: "retry" };
      }
      if (outcome.kind === "busy") { return; } // the queue is sending it; it tells us the end
      if (outcome.kind === "invalid" || outcome.kind === "refused") {
        await dequeue(entry.client_id).catch(() => {}); // back in the form to correct it
      } else if (outcome.kind === "server") {
        await update(entry.client_id, (e) => Object.assign({}, e, { failed: outcome.message, failed_at: Date.now() }));
      }
      settle(entry, outcome);
      await showQueue();
    });

    const locate = document.getElementById("visit-locate");
    if (!locate) { return; }
    // Geolocation needs HTTPS (or localhost); on a plain-HTTP intranet the button could only fail.
    locate.hidden = !("geolocation" in navigator && window.isSecureContext);
    const tell = (text) => { if (where) { where.textContent = text; } };
    locate.addEventListener("click", () => {
      locate.disabled = true;
      tell(locate.dataset.locating || "…");
      navigator.geolocation.getCurrentPosition((position) => {
        const { latitude, longitude, accuracy } = position.coords;
        form.elements.namedItem("latitude").value = latitude.toFixed(6);
        form.elements.namedItem("longitude").value = longitude.toFixed(6);
        locate.disabled = false;
        tell((locate.dataset.found || "±%(m)s m").replace("%(m)s", Math.round(accuracy)));
        saveDraft(); // hidden inputs fire no input event
      }, (error) => {
        locate.disabled = false;
        tell(locate.dataset.denied || error.message);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  // --- The page cache the service worker answers from offline (secure contexts only) ---
  // One user's pages only: emptied when another user is signed in on this phone.
  async function pageCache(owner) {
    const kept = await caches.match(CACHE_OWNER, { cacheName: PAGE_CACHE });
    if (!kept || (await kept.text()) !== owner) {
      await caches.delete(PAGE_CACHE);
      await (await caches.open(PAGE_CACHE)).put(CACHE_OWNER, new Response(owner));
    }
    return caches.open(PAGE_CACHE);
  }
  // The worker's list, opened online: keep the generic visit form, the household list it is
  // filled from, and the offline page, in the page's language.
  async function keepOfflineKit(cache, kit) {
    const lang = document.documentElement.lang;
    let stamp = null;
    try { stamp = JSON.parse(localStorage.getItem("grid-offline-kit")); } catch (error) { /* none */ }
    const fresh = stamp && stamp.lang === lang && Date.now() - stamp.at < KIT_MAX_AGE
      && (await cache.match(kit.offlineForm, { ignoreVary: true }));
    if (fresh) { return; }
    await cache.addAll([kit.offlineForm, kit.households, kit.offlinePage]);
    try { localStorage.setItem("grid-offline-kit", JSON.stringify({ lang, at: Date.now() })); } catch (error) { /* full */ }
  }
  async function keepPages(badge) {
    const cache = await pageCache(badge.dataset.owner || "");
    const kit = document.querySelector("[data-offline-kit]");
    if (kit && navigator.onLine) {
      await keepOfflineKit(cache, kit.dataset);
    } else if (badge.dataset.offlinePage && !(await cache.match(badge.dataset.offlinePage, { ignoreVary: true }))) {
      await cache.add(badge.dataset.offlinePage);
    }
  }

  // The generic form the service worker shows offline for any household's visit form: the
  // household comes from the address bar, its address from the list kept with the form.
  async function fillOfflineForm(form) {
    const match = window.location.pathname.match(/\/household\/(\d+)\//);
    const id = match ? Number(match[1]) : null;
    const target = document.getElementById("visit-target");
    const note = document.getElementById("visit-target-where");
    if (id) {
      form.elements.namedItem("household").value = id;
      form.dataset.draftKey = `visit:household:${id}`;
    }
    let household = null;
    try {
      const kept = "caches" in window && await caches.match(form.dataset.households, { cacheName: PAGE_CACHE, ignoreVary: true });
      household = kept ? (await kept.json()).households.find((h) => h.id === id) : null;
    } catch (error) { /* no list kept: the server checks the household when the visit arrives */ }
    if (household) {
      target.textContent = household.address;
      note.textContent = household.where;
      form.dataset.label = household.address;
    } else {
      note.textContent = form.dataset.unknownText;
      note.classList.add("text-danger");
      if (id) { form.dataset.label = `#${id}`; }
    }
  }

  async function start() {
    const form = document.getElementById("visit-form");
    if (form && form.dataset.offlineForm !== undefined) { await fillOfflineForm(form); }
    if (form) { setUpForm(form); }
    const badge = document.getElementById("visit-queue");
    showQueue();
    // Only signed-in pages carry the badge; elsewhere a send would bounce off the sign-in page.
    if (form || badge) {
      flush();
      window.addEventListener("online", flush);
      document.addEventListener("visibilitychange", () => { if (!document.hidden) { flush(); } });
      // Leaving mid-send: let the next page (or tab) send it at once rather than after the lease.
      window.addEventListener("pagehide", () => { held.forEach((id) => { release(id).catch(() => {}); }); });
    }
    document.querySelectorAll("[data-offline-retry]").forEach((button) => {
      button.addEventListener("click", () => window.location.reload());
    });
    // Service workers need a secure context: HTTPS, or localhost while developing. On a
    // plain-HTTP intranet the queue above works without one.
    if (window.isSecureContext && "serviceWorker" in navigator) {
      if (badge) {
        try { navigator.serviceWorker.register("/sw.js").catch(() => {}); } catch (error) { /* optional */ }
        if ("caches" in window) { keepPages(badge).catch(() => {}); }
      } else if ("caches" in window) {
        // Signed out: the pages kept for offline use go too (a phone may be shared).
        caches.delete(PAGE_CACHE).catch(() => {});
      }
    }
  }

  window.gridVisits = { flush, showQueue, queued }; // for tests and a future "send now" button
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
