/* Clinic chat widget: launcher, panel, message log, buttons, typing indicator.
 * Served by the Rasa server as part of /webhooks/socketio/widget.js, inside a function
 * scope that defines `io` (socket.io-client) and `CONFIG` (path, title, event names).
 * Message text is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";

  var script = document.currentScript;
  var src = script && script.src ? script.src : location.href;
  var BASE = new URL(".", src).href;
  var ORIGIN = new URL(src).origin;
  var STORE_KEY = "clinicChat:" + ORIGIN;
  var TYPING_TIMEOUT_MS = 30000;
  var MAX_CHARS = 20000; // the server cuts further (and says so)
  var UI = { // interface chrome only; everything the assistant says comes from the server
    launcher: "Chat with us",
    close: "Close chat",
    title: CONFIG.title,
    log: "Conversation",
    input: "Type your message",
    send: "Send",
    you: "You:",
    bot: "Assistant:",
    staff: "Clinic staff:",
    staffTag: "Clinic staff",
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
    ui.launcher = el("button", { type: "button", "class": "launcher",
      "aria-expanded": "false", "aria-controls": "panel" });
    ui.launcherText = el("span", {}, UI.launcher);
    ui.unread = el("span", { "class": "sr-only" });
    ui.launcher.appendChild(ui.launcherText);
    ui.launcher.appendChild(ui.unread);
    ui.panel = el("section", { id: "panel", "class": "panel", role: "dialog",
      "aria-labelledby": "title" });
    ui.panel.hidden = true;
    var header = el("header", { "class": "header" });
    header.appendChild(el("h2", { id: "title" }, UI.title));
    ui.close = el("button", { type: "button", "class": "close", "aria-label": UI.close }, "×");
    header.appendChild(ui.close);
    ui.status = el("div", { "class": "status", role: "status" });
    ui.status.hidden = true;
    ui.log = el("div", { "class": "log", role: "log", "aria-live": "polite",
      "aria-label": UI.log, tabindex: "0" });
    ui.typing = el("div", { "class": "typing", role: "status" });
    ui.typing.appendChild(el("span", { "class": "dots", "aria-hidden": "true" }, "• • •"));
    ui.typing.appendChild(el("span", { "class": "sr-only" }, UI.typing));
    ui.typing.hidden = true;
    ui.form = el("form", { "class": "form" });
    ui.input = el("input", { id: "input", type: "text", autocomplete: "off",
      placeholder: UI.input, "aria-label": UI.input });
    ui.send = el("button", { type: "submit", "class": "send" }, UI.send);
    ui.form.appendChild(ui.input);
    ui.form.appendChild(ui.send);
    [header, ui.status, ui.log, ui.typing, ui.form].forEach(function (n) { ui.panel.appendChild(n); });
    root.appendChild(ui.launcher);
    root.appendChild(ui.panel);
    document.body.appendChild(host);
    wire();
  }

  function wire() {
    ui.launcher.addEventListener("click", function () { state.open ? close() : open(); });
    ui.close.addEventListener("click", close);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) { ui.input.focus(); return; }
      if (send(text, text)) { ui.input.value = ""; }
      ui.input.focus();
    });
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

  function addMessage(message) {
    var who = message.sender === "user" ? "user" : "bot";
    var staff = who === "bot" && message.custom && message.custom.from_staff;
    var bubble = el("div", { "class": "msg " + who + (staff ? " staff" : "") });
    bubble.appendChild(el("span", { "class": "sr-only" },
      who === "user" ? UI.you : (staff ? UI.staff : UI.bot)));
    if (staff) { bubble.appendChild(el("span", { "class": "tag", "aria-hidden": "true" }, UI.staffTag)); }
    bubble.appendChild(el("span", { "class": "text" }, String(message.text || "")));
    ui.log.appendChild(bubble);
    if (who === "bot" && Array.isArray(message.buttons) && message.buttons.length) {
      addChoices(message.buttons);
    }
    scrollDown();
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
    addMessage({ sender: "user", text: shown });
    state.socket.emit(CONFIG.userEvent, { message: text.slice(0, MAX_CHARS), session_id: state.token });
    typing(true);
    return true;
  }

  function connect() {
    if (state.socket) { return; }
    setStatus(UI.connecting);
    var socket = io(ORIGIN, { path: CONFIG.path });
    state.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.token });
    });
    socket.on("session_confirm", function (token) {
      if (typeof token === "string") { save(token); }
      state.ready = true;
      setStatus("");
    });
    socket.on("history", function (data) {
      ui.log.textContent = "";
      typing(false);
      ((data && data.messages) || []).forEach(addMessage);
    });
    socket.on(CONFIG.botEvent, function (message) {
      if (!message || typeof message.text !== "string") { return; }
      addMessage(message);
      if (!state.open) {
        ui.launcher.classList.add("unread");
        ui.unread.textContent = " " + UI.unread;
      }
    });
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
