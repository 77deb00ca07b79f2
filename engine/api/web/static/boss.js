// boss dashboard: the one script of every page (plain JavaScript, no library, nothing from the network).
//
// - Times: every <time datetime> is shown in the viewer's time zone (Intl.DateTimeFormat).
// - Live: a page with data-events follows /api/events (EventSource); when a process changes, the page is
//   read again in the background and each part marked data-live (with an id) is replaced in place when
//   the server's HTML for it changed. Parts with a form being filled in are left alone.
// - Actions: buttons with data-post and forms with data-post call the JSON API with the session cookie
//   and the X-Boss-CSRF header (the token is in <meta name="boss-csrf">); errors show the API's message.
(() => {
  "use strict";

  const csrf = document.querySelector('meta[name="boss-csrf"]')?.content || "";
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  const day = new Intl.DateTimeFormat(undefined, {
    weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const served = new Map(); // id of a live part -> the server's HTML it was last built from

  // ---- times ---------------------------------------------------------------------------------------
  function ago(date) {
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size || unit === "second") return relative.format(Math.round(seconds / size), unit);
    }
    return "";
  }

  function formatTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((element) => {
      const date = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) return;
      const style = element.dataset.style;
      element.textContent = style === "ago" ? ago(date) : (style === "date" ? day : full).format(date);
      element.title = `${full.format(date)} (${zone}); ${date.toISOString()}`;
    });
  }

  // ---- messages ------------------------------------------------------------------------------------
  function flash(message, bad) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.classList.toggle("bad", Boolean(bad));
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { box.hidden = true; }, bad ? 20000 : 6000);
  }

  // ---- the JSON API --------------------------------------------------------------------------------
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Boss-CSRF": csrf },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_) { /* not JSON: the status says enough */ }
    if (!response.ok) {
      throw new Error(data?.error?.message || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  function said(data) {
    if (data && data.command) return `${data.command}: the process is now ${data.status || "updated"}.`;
    if (data && Array.isArray(data.items)) return `Done in ${data.items.map((a) => a.pool).join(", ")}.`;
    return "Done.";
  }

  // ---- reading forms -------------------------------------------------------------------------------
  function typed(input) {
    const text = input.value;
    const name = input.name;
    switch (input.dataset.type) {
      case "integer": {
        const number = Number(text);
        if (!Number.isInteger(number)) throw new Error(`${name}: a whole number, please`);
        return number;
      }
      case "number": {
        const number = Number(text);
        if (Number.isNaN(number)) throw new Error(`${name}: a number, please`);
        return number;
      }
      case "json":
        try { return JSON.parse(text); } catch (_) { throw new Error(`${name}: not valid JSON (e.g. ["a", "b"])`); }
      default:
        return text;
    }
  }

  function launchBody(form) {
    const fields = {};
    form.querySelectorAll("[name][data-type]").forEach((input) => {
      if (input.dataset.type === "boolean") { fields[input.name] = input.checked; return; }
      if (input.dataset.type === "free") {
        input.value.split("\n").forEach((line) => {
          const at = line.indexOf("=");
          if (at > 0) fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        });
        return;
      }
      if (input.value.trim() === "") return; // empty: the definition's default applies
      fields[input.name] = typed(input);
    });
    return { definition: form.dataset.definition, fields };
  }

  function retryBody(form) {
    const fields = {};
    form.querySelectorAll("[name][data-type]").forEach((input) => {
      if (input.value !== (input.dataset.original || "")) fields[input.name] = typed(input);
    });
    return { step: form.dataset.step, fields };
  }

  function approveBody(form, submitter) {
    const comment = form.querySelector('[name="comment"]');
    return { step: form.dataset.step, approved: submitter?.value !== "reject", comment: comment ? comment.value : "" };
  }

  const bodies = { launch: launchBody, retry: retryBody, approve: approveBody };

  // ---- actions -------------------------------------------------------------------------------------
  async function run(control, url, body, form) {
    control.disabled = true;
    try {
      const data = await post(url, body);
      if (form?.dataset.kind === "launch") {
        window.location.assign(`/processes/${encodeURIComponent(data.process_id)}`);
        return;
      }
      flash(said(data), false);
      if (form) form.classList.remove("dirty");
      loadFragments();
      refresh();
    } catch (error) {
      flash(error.message, true);
    } finally {
      control.disabled = false;
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-post]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    let body = {};
    try { body = JSON.parse(button.dataset.body || "{}"); } catch (_) { /* keep {} */ }
    run(button, button.dataset.post, body, null);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-post]");
    if (!form) return;
    event.preventDefault();
    const submitter = event.submitter || form.querySelector('button[type="submit"]');
    let body;
    try { body = bodies[form.dataset.kind](form, submitter); } catch (error) { flash(error.message, true); return; }
    run(submitter || form, form.dataset.post, body, form);
  });

  // a form being filled in is not replaced by a live update
  document.addEventListener("input", (event) => event.target.closest("form")?.classList.add("dirty"));
  document.addEventListener("toggle", (event) => event.target.closest("form")?.classList.add("dirty"), true);

  // ---- live updates --------------------------------------------------------------------------------
  let timer = null;
  let busy = false;
  let again = false;

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  function editing(part) {
    const active = document.activeElement;
    const typing = active && part.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    return typing || part.querySelector("form.dirty") !== null;
  }

  function swap(fresh) {
    document.querySelectorAll("[data-live][id]").forEach((part) => {
      const next = fresh.getElementById(part.id);
      if (!next || served.get(part.id) === next.innerHTML || editing(part)) return;
      served.set(part.id, next.innerHTML);
      part.innerHTML = next.innerHTML;
      formatTimes(part);
    });
    if (fresh.title) document.title = fresh.title;
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok) swap(new DOMParser().parseFromString(await response.text(), "text/html"));
    } catch (_) {
      // offline for a moment: the next event or tick tries again
    } finally {
      busy = false;
      if (again) { again = false; soon(); }
    }
  }

  async function loadFragments() {
    for (const part of document.querySelectorAll("[data-fragment]")) {
      try {
        const response = await fetch(part.dataset.fragment, { credentials: "same-origin", headers: { Accept: "text/html" } });
        part.innerHTML = await response.text();
        formatTimes(part);
      } catch (_) {
        part.textContent = "Could not load this part: reload the page.";
      }
    }
  }

  function start() {
    document.querySelectorAll("[data-live][id]").forEach((part) => served.set(part.id, part.innerHTML));
    formatTimes(document);
    loadFragments();
    const body = document.body;
    if (body.dataset.events && "EventSource" in window) {
      const source = new EventSource(body.dataset.events);
      source.addEventListener("process", soon);
      // what changed between the page load (or a lost connection) and the stream's start is read again
      source.addEventListener("open", soon);
    }
    if (body.dataset.refresh) {
      setInterval(() => { if (!document.hidden) refresh(); }, Number(body.dataset.refresh));
    }
    // "3 minutes ago" grows old by itself
    setInterval(() => document.querySelectorAll('time[data-style="ago"]').forEach((t) => formatTimes(t.parentElement)), 15000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
