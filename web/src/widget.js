/* Clinic chat widget: launcher, panel, message log, buttons, typing indicator, links and
 * phone numbers, emergency messages, timestamps, multi-line input and "End chat".
 * Served by the Rasa server as part of /webhooks/socketio/widget.js, inside a function
 * scope that defines `io` (socket.io-client) and `CONFIG` (path, title, event names).
 * Message text is only ever set with textContent (split into text nodes and links),
 * never parsed as HTML. */
(function () {
  "use strict";

  var script = document.currentScript;
  var src = script && script.src ? script.src : location.href;
  var BASE = new URL(".", src).href;
  var ORIGIN = new URL(src).origin;
  var STORE_KEY = "clinicChat:" + ORIGIN;
  var TYPING_TIMEOUT_MS = 30000;
  var MAX_CHARS = 20000; // the server cuts further (and says so)
  var MAX_INPUT_PX = 120; // the message box grows with its text up to about five lines
  // http(s) links, then phone numbers: (555) 010-0199, 555-010-0100, +1 555 010 0100, and
  // 911 / 988 standing alone (never digits inside longer numbers, dates or times)
  var URL_PART = /https?:\/\/[^\s<>"]+/.source;
  var PHONE_PART = /(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}|911|988/.source;
  var LINKS = new RegExp("(" + URL_PART + ")|(?<![\\w@/:.,+-])(" + PHONE_PART + ")" +
    "(?![\\w:/@-]|[.,]\\d)", "g");
  var UI = { // interface chrome only; everything the assistant says comes from the server
    launcher: "Chat with us",
    close: "Close chat",
    end: "End chat",
    endConfirm: "End this chat? It will be removed from this browser, and the next chat " +
      "starts fresh. (Useful on a shared computer.)",
    title: CONFIG.title,
    log: "Conversation",
    input: "Type your message",
    send: "Send",
    you: "You:",
    bot: "Assistant:",
    staff: "Clinic staff:",
    staffTag: "Clinic staff",
    emergency: "Emergency instruction:",
    emergencyTag: "Emergency",
    choices: "Suggested replies",
    typing: "The assistant is typing",
    connecting: "Connecting…",
    offline: "Connection lost. Reconnecting… Your messages so far are kept.",
    notSent: "Not connected right now. Your message is still in the box: send it again in a moment.",
    unread: "(new message)"
  };

  var state = { socket: null, ready: false, token: load(), typingTimer: null, open: false };
  var ui = {};

  function load() {
    try { return window.localStorage.getItem(STORE_KEY); } catch (e) { return null; }
  }

  function save(token) {
    state.token = token;
    try { window.localStorage.setItem(STORE_KEY, token); } catch (e) { /* private mode */ }
  }

  function forget() {
    state.token = null;
    try { window.localStorage.removeItem(STORE_KEY); } catch (e) { /* private mode */ }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function build() {
    var host = el("div", { id: "clinic-chat-widget", style: "display:none" });
    var root = host.attachShadow({ mode: "open" });
    var css = el("link", { rel: "stylesheet", href: BASE + "widget.css" });
    css.onload = css.onerror = function () { host.style.display = ""; };
    root.appendChild(css);
    root.appendChild(buildLauncher());
    root.appendChild(buildPanel());
    root.appendChild(ui.alert); // outside the panel: heard even while the panel is closed
    document.body.appendChild(host);
    wire();
  }

  function buildLauncher() {
    ui.launcher = el("button", { type: "button", "class": "launcher",
      "aria-expanded": "false", "aria-controls": "panel" });
    ui.launcherText = el("span", {}, UI.launcher);
    ui.unread = el("span", { "class": "sr-only" });
    ui.launcher.appendChild(ui.launcherText);
    ui.launcher.appendChild(ui.unread);
    return ui.launcher;
  }

  function buildPanel() {
    ui.panel = el("section", { id: "panel", "class": "panel", role: "dialog",
      "aria-labelledby": "title" });
    ui.panel.hidden = true;
    ui.status = el("div", { "class": "status", role: "status" });
    ui.status.hidden = true;
    ui.log = el("div", { "class": "log", role: "log", "aria-live": "polite",
      "aria-label": UI.log, tabindex: "0" });
    // emergency instructions are read out at once, interrupting (the log only waits its turn)
    ui.alert = el("div", { "class": "sr-only", "aria-live": "assertive", "aria-atomic": "true" });
    ui.typing = el("div", { "class": "typing", role: "status" });
    ui.typing.appendChild(el("span", { "class": "dots", "aria-hidden": "true" }, "• • •"));
    ui.typing.appendChild(el("span", { "class": "sr-only" }, UI.typing));
    ui.typing.hidden = true;
    [buildHeader(), ui.status, ui.log, ui.typing, buildForm()].forEach(function (n) {
      ui.panel.appendChild(n);
    });
    return ui.panel;
  }

  function buildHeader() {
    var header = el("header", { "class": "header" });
    header.appendChild(el("h2", { id: "title" }, UI.title));
    var actions = el("div", { "class": "actions" });
    ui.end = el("button", { type: "button", "class": "end" }, UI.end);
    ui.close = el("button", { type: "button", "class": "close", "aria-label": UI.close }, "×");
    actions.appendChild(ui.end);
    actions.appendChild(ui.close);
    header.appendChild(actions);
    return header;
  }

  function buildForm() {
    ui.form = el("form", { "class": "form" });
    ui.input = el("textarea", { id: "input", rows: "1", autocomplete: "off",
      placeholder: UI.input, "aria-label": UI.input });
    ui.send = el("button", { type: "submit", "class": "send" }, UI.send);
    ui.form.appendChild(ui.input);
    ui.form.appendChild(ui.send);
    return ui.form;
  }

  function wire() {
    ui.launcher.addEventListener("click", function () { state.open ? close() : open(); });
    ui.close.addEventListener("click", close);
    ui.end.addEventListener("click", endChat);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    ui.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter is a new line (and Enter while composing stays the IME's)
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) { return; }
      event.preventDefault();
      if (ui.form.requestSubmit) { ui.form.requestSubmit(); } else { ui.send.click(); }
    });
    ui.input.addEventListener("input", fitInput);
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) { ui.input.focus(); return; }
      if (send(text, text)) { ui.input.value = ""; fitInput(); }
      ui.input.focus();
    });
  }

  function fitInput() {
    ui.input.style.height = "auto";
    if (ui.input.value) {
      ui.input.style.height = Math.min(ui.input.scrollHeight + 2, MAX_INPUT_PX) + "px";
    }
  }

  function open() {
    state.open = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcherText.textContent = UI.close;
    ui.launcher.classList.remove("unread");
    ui.unread.textContent = "";
    connect();
    scrollDown();
    ui.input.focus();
  }

  function close() {
    state.open = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcherText.textContent = UI.launcher;
    ui.launcher.focus();
  }

  /* "End chat" (a shared computer): this browser forgets the conversation; the next open
   * asks the server for a new one. */
  function endChat() {
    if (!window.confirm(UI.endConfirm)) { return; }
    if (state.socket) {
      state.socket.off();
      state.socket.disconnect();
      state.socket = null;
    }
    state.ready = false;
    forget();
    typing(false);
    setStatus("");
    ui.log.textContent = "";
    ui.alert.textContent = "";
    ui.input.value = "";
    fitInput();
    close();
  }

  function setStatus(text) {
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  function typing(on) {
    clearTimeout(state.typingTimer);
    ui.typing.hidden = !on;
    if (on) { state.typingTimer = setTimeout(function () { typing(false); }, TYPING_TIMEOUT_MS); }
  }

  function clearChoices() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".choices"), function (node) {
      node.remove();
    });
  }

  function phoneLink(number) {
    return el("a", { href: "tel:" + number.replace(/\D/g, ""), "class": "tel" }, number);
  }

  function webLink(url) {
    var parsed;
    try { parsed = new URL(url); } catch (e) { return null; }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") { return null; }
    return el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer",
      "class": "link" }, url);
  }

  /* Bot text as text nodes and <a> elements (links and phone numbers), never as HTML.
   * Punctuation that ends a sentence after a link stays text. */
  function richText(text) {
    var span = el("span", { "class": "text" });
    var at = 0;
    var found;
    LINKS.lastIndex = 0;
    while ((found = LINKS.exec(text)) !== null) {
      var raw = found[1] ? found[1].replace(/[.,;:!?'")\]]+$/, "") : found[2];
      var link = found[1] ? webLink(raw) : phoneLink(raw);
      if (!link) { continue; }
      span.appendChild(document.createTextNode(text.slice(at, found.index)));
      span.appendChild(link);
      at = found.index + raw.length;
    }
    span.appendChild(document.createTextNode(text.slice(at)));
    return span;
  }

  function timeStamp(when) {
    var date = when instanceof Date && !isNaN(when) ? when : new Date();
    return el("time", { "class": "time", datetime: date.toISOString() },
      date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }));
  }

  function addTag(bubble, text, icon) {
    var tag = el("span", { "class": "tag", "aria-hidden": "true" });
    if (icon) { tag.appendChild(el("span", { "class": "icon" }, icon)); }
    tag.appendChild(document.createTextNode(text));
    bubble.appendChild(tag);
  }

  function speaker(who, kind) {
    if (who === "user") { return UI.you; }
    return kind === "emergency" ? UI.emergency : (kind === "staff" ? UI.staff : UI.bot);
  }

  function addMessage(message, when) {
    var who = message.sender === "user" ? "user" : "bot";
    var custom = (who === "bot" && message.custom) || {};
    var kind = custom.emergency ? "emergency" : (custom.from_staff ? "staff" : "");
    var bubble = el("div", { "class": "msg " + who + (kind ? " " + kind : "") });
    bubble.appendChild(el("span", { "class": "sr-only" }, speaker(who, kind)));
    if (kind === "emergency") { addTag(bubble, UI.emergencyTag, "⚠"); }
    if (kind === "staff") { addTag(bubble, UI.staffTag); }
    var text = String(message.text || "");
    bubble.appendChild(who === "bot" ? richText(text) : el("span", { "class": "text" }, text));
    bubble.appendChild(timeStamp(when));
    ui.log.appendChild(bubble);
    if (who === "bot" && Array.isArray(message.buttons) && message.buttons.length) {
      addChoices(message.buttons);
    }
    scrollDown();
  }

  function announce(text) {
    ui.alert.textContent = "";
    setTimeout(function () { ui.alert.textContent = UI.emergency + " " + text; }, 50);
  }

  function addChoices(buttons) {
    clearChoices();
    var group = el("div", { "class": "choices", role: "group", "aria-label": UI.choices });
    buttons.forEach(function (button) {
      if (!button || typeof button.payload !== "string") { return; }
      var choice = el("button", { type: "button", "class": "choice" }, String(button.title || ""));
      choice.addEventListener("click", function () {
        if (send(button.payload, String(button.title || button.payload))) { ui.input.focus(); }
      });
      group.appendChild(choice);
    });
    ui.log.appendChild(group);
  }

  function send(text, shown) {
    if (!state.ready || !state.socket || !state.socket.connected) {
      setStatus(UI.notSent);
      return false;
    }
    clearChoices();
    addMessage({ sender: "user", text: shown }, new Date());
    state.socket.emit(CONFIG.userEvent, { message: text.slice(0, MAX_CHARS), session_id: state.token });
    typing(true);
    return true;
  }

  /* The stored conversation (Unix times in data.times), after the greeting if it came apart. */
  function showHistory(data) {
    var messages = (data && data.messages) || [];
    var times = (data && Array.isArray(data.times)) ? data.times : [];
    var at = function (i) { return typeof times[i] === "number" ? new Date(times[i] * 1000) : null; };
    ui.log.textContent = "";
    typing(false);
    ((data && data.greeting) || []).forEach(function (m) { addMessage(m, at(0)); });
    messages.forEach(function (m, i) { addMessage(m, at(i)); });
  }

  function botMessage(message) {
    if (!message || typeof message.text !== "string") { return; }
    addMessage(message, new Date());
    if (message.custom && message.custom.emergency) { announce(message.text); }
    if (!state.open) {
      ui.launcher.classList.add("unread");
      ui.unread.textContent = " " + UI.unread;
    }
  }

  function connect() {
    if (state.socket) { return; }
    setStatus(UI.connecting);
    var socket = io(ORIGIN, { path: CONFIG.path, forceNew: true });
    state.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.token });
    });
    socket.on("session_confirm", function (token) {
      if (typeof token === "string") { save(token); }
      state.ready = true;
      setStatus("");
    });
    socket.on("history", showHistory);
    socket.on(CONFIG.botEvent, botMessage);
    socket.on("bot_done", function () { typing(false); });
    socket.on("disconnect", function () { state.ready = false; typing(false); setStatus(UI.offline); });
    socket.on("connect_error", function () { state.ready = false; setStatus(UI.offline); });
  }

  function start() {
    build();
    if (state.token) { connect(); } // a returning patient: history, and staff replies
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
