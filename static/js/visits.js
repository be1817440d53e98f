// Household visits (走访) from a cheap phone on a weak signal: nothing typed may be lost.
// - While the worker types, the form's text fields are kept as a draft in localStorage.
// - Photos are shrunk in the browser first: the upload is the slow part on a weak signal.
// - A visit that cannot be sent now waits in IndexedDB and goes out on the next page load or
//   when the connection returns. The server stores each client_id once, so a visit sent twice
//   (two tabs, an answer lost on the way back) is harmless.
// Loaded on every page from base.html; no inline script (the Content-Security-Policy forbids it).
(() => {
  "use strict";
  const MAX_SIDE = 1600;
  const SEND_TIMEOUT = 90000; // a few photos over weak 3G can take a minute
  const RETRY_FAILED_AFTER = 15 * 60 * 1000; // a refused visit will not fix itself in seconds
  const NOT_RESTORED = ["csrfmiddlewaretoken", "household", "place"];

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

  // --- One request for the form and for the queue ---
  const messagesOf = (list) => [].concat(list).map((m) => (typeof m === "string" ? m : m.message));
  const flatten = (errors) => Object.values(errors).map((l) => messagesOf(l).join(" ")).join(" ");

  async function send(entry) {
    const body = new FormData();
    // Django reads a (possibly stale) form token before the header, so send only the header's.
    entry.fields.forEach(([n, v]) => { if (n !== "csrfmiddlewaretoken") { body.append(n, v); } });
    entry.photos.forEach((photo) => body.append("photos", photo, photo.name || "photo.jpg"));
    // When the worker pressed Save, not when the queue got through (for the server to use).
    body.append("visited_at", new Date(entry.queued_at).toISOString());
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT);
    let response;
    let data = null;
    try {
      response = await fetch(entry.url, {
        method: "POST", body, credentials: "same-origin", signal: abort.signal,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      if ((response.headers.get("Content-Type") || "").includes("json")) { data = await response.json(); }
    } catch (error) {
      return { kind: "retry" }; // offline, dropped or timed out: it waits, nothing is lost
    } finally {
      clearTimeout(timer);
    }
    const status = response.status;
    const text = (data && data.errors && flatten(data.errors)) || `${status} ${response.statusText}`;
    if (status < 300 && data && data.url) { return { kind: "done", url: data.url }; }
    // A 200 that is not our JSON is the sign-in page (session expired): keep it for later.
    if (status < 300 || status === 408 || status === 429) { return { kind: "retry" }; }
    if (status >= 500) { return { kind: "server", message: text }; }
    return { kind: status === 400 && data && data.errors ? "invalid" : "refused", errors: data && data.errors, message: text };
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) { return; }
    flushing = true; // the server would ignore a double anyway; this saves the upload
    try {
      for (const entry of await queued()) {
        if (entry.failed && Date.now() - entry.failed_at < RETRY_FAILED_AFTER) { continue; }
        const outcome = await send(entry);
        if (outcome.kind === "retry") { break; } // wait for the next page load or `online`
        if (outcome.kind === "done") {
          await dequeue(entry.client_id);
        } else {
          // Refused, or a server error: keep it with the reason, let the ones behind it go.
          await enqueue(Object.assign({}, entry, { failed: outcome.message, failed_at: Date.now() }));
        }
        await showQueue();
      }
    } catch (error) {
      // No IndexedDB (some private windows): then nothing was queued either.
    } finally {
      flushing = false;
      await showQueue();
    }
  }

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

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) { return; } // a second tap while photos shrink or upload
      busy = true;
      const buttons = Array.from(form.elements).filter((el) => el.type === "submit");
      buttons.forEach((b) => { b.disabled = true; });
      clearErrors();
      try {
        const photos = [];
        for (const input of form.querySelectorAll("input[type=file]")) {
          for (const file of input.files) { photos.push(await shrink(file)); } // one at a time
        }
        const entry = {
          client_id: clientId.value, fields: fields(), photos, queued_at: Date.now(), url: form.action,
        };
        const outcome = navigator.onLine ? await send(entry) : { kind: "retry" };
        if (outcome.kind === "done") {
          clearDraft();
          say(form.dataset.sentText, "success");
          window.location.assign(outcome.url);
        } else if (outcome.kind === "invalid") {
          showErrors(outcome.errors); // the draft stays: the worker corrects and sends again
        } else if (outcome.kind === "refused") {
          say(outcome.message, "danger");
        } else {
          await enqueue(entry);
          clearDraft();
          form.reset();
          rendered.forEach(([el, value]) => { el.value = value; }); // location too
          clientId.value = uuid4(); // the next visit is a new one
          if (where) { where.textContent = ""; }
          say(form.dataset.queuedText, "warning");
          await showQueue();
        }
      } catch (error) {
        say(String((error && error.message) || error), "danger"); // the draft stays
      } finally {
        busy = false;
        buttons.forEach((b) => { b.disabled = false; });
      }
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

  function start() {
    const form = document.getElementById("visit-form");
    if (form) { setUpForm(form); }
    showQueue();
    // Only signed-in pages carry the badge; elsewhere a send would bounce off the sign-in page.
    if (form || document.getElementById("visit-queue")) {
      flush();
      window.addEventListener("online", flush);
      document.addEventListener("visibilitychange", () => { if (!document.hidden) { flush(); } });
    }
    // Service workers need a secure context: HTTPS, or localhost while developing. On a
    // plain-HTTP intranet the queue above works without one.
    if (window.isSecureContext && "serviceWorker" in navigator) {
      if (document.getElementById("visit-queue")) {
        try { navigator.serviceWorker.register("/sw.js").catch(() => {}); } catch (error) { /* optional */ }
      } else if ("caches" in window) {
        // Signed out: the pages kept for offline use go too (a phone may be shared).
        caches.delete("grid-pages").catch(() => {});
      }
    }
  }

  window.gridVisits = { flush, showQueue, queued }; // for tests and a future "send now" button
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
