/* Gridbot sandbox web chat: one Telegram-like chat pane per demo person.
 *
 * Reads the emulator's state from /api/state, follows it live through /api/events
 * (server-sent events) and acts as the people through /api/send, /api/press, /api/contact,
 * /api/location and /api/photo. The bot's Telegram-HTML is rebuilt node by node from an
 * allow-list; untrusted markup never reaches innerHTML.
 */
"use strict";

(() => {
  const ROLE_LABELS = {
    resident: "居民 resident",
    member: "党员/志愿者 member",
    admin: "管理员 admin",
    seat: "四方席位 party seat",
    owner: "业主 owner",
    department: "部门联络员 department",
    first_secretary: "第一书记 first secretary",
  };
  // The location the share-location button sends: Duanzhou District, Zhaoqing.
  const ZHAOQING = { latitude: 23.0512, longitude: 112.4651 };
  // Telegram's HTML parse mode; tg-spoiler and <span class="tg-spoiler"> become spoilers.
  const ALLOWED_TAGS = new Set([
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
    "span", "a", "code", "pre", "blockquote",
  ]);
  const LINK_PROTOCOLS = new Set(["http:", "https:", "tg:"]);
  const TOAST_MS = 3500;
  const RECONNECT_MS = 2000;

  const panesEl = document.querySelector("[data-testid=panes]");
  const paneTemplate = document.getElementById("pane-template");
  const connectionEl = document.querySelector("[data-testid=connection]");

  /** Per person: {person, el, messages: Map<message_id, Message>, deleted: Set<message_id>}. */
  const panes = new Map();
  // Command menus by chat; `inflight` holds, per running state fetch, the chats whose menu
  // arrived live meanwhile (the fetched snapshot is older for those and must not win).
  const commands = { byChat: new Map(), fallback: [], inflight: new Set() };
  let generation = 0; // bumped by a reset

  // -- small helpers -----------------------------------------------------------------------
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  async function post(path, body, chatId) {
    const init = { method: "POST" };
    if (body instanceof FormData) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers = { "Content-Type": "application/json" };
    }
    try {
      const response = await fetch(path, init);
      if (!response.ok) {
        toast(chatId, `出错了 Error ${response.status}: ${await response.text()}`, false);
      }
    } catch (err) {
      toast(chatId, `网络错误 Network error: ${err}`, false);
    }
  }

  function timeOf(unixSeconds) {
    return new Date(unixSeconds * 1000).toLocaleTimeString("zh-CN", {
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  function safeHref(href) {
    // Absolute http(s)/tg links only: new URL() without a base rejects relative ones.
    try {
      const url = new URL(href);
      return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  // -- Telegram-HTML, rebuilt from an allow-list -------------------------------------------
  function renderHtml(source) {
    const parsed = new DOMParser().parseFromString(source, "text/html");
    const out = document.createDocumentFragment();
    copyChildren(parsed.body, out);
    return out;
  }

  function copyChildren(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.append(document.createTextNode(node.data));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        to.append(copyElement(node));
      }
      // Comments, processing instructions and the like are dropped.
    }
  }

  function copyElement(node) {
    const tag = node.localName;
    let copy = null;
    if (tag === "tg-spoiler" || (tag === "span" && node.classList.contains("tg-spoiler"))) {
      copy = el("span", { class: "spoiler", title: "剧透 spoiler" });
      copy.addEventListener("click", () => copy.classList.toggle("revealed"));
    } else if (tag === "a") {
      const href = safeHref(node.getAttribute("href") || "");
      if (href) copy = el("a", { href, target: "_blank", rel: "noopener noreferrer" });
    } else if (ALLOWED_TAGS.has(tag)) {
      copy = document.createElement(tag); // no attributes are carried over
    }
    // Anything else keeps only its text (children are still filtered).
    const target = copy || document.createDocumentFragment();
    copyChildren(node, target);
    return target;
  }

  // -- panes -------------------------------------------------------------------------------
  function buildPane(person) {
    const section = paneTemplate.content.firstElementChild.cloneNode(true);
    section.dataset.person = String(person.id);
    section.dataset.role = person.role;
    section.querySelector(".avatar").textContent = person.name.slice(0, 1);
    section.querySelector(".person-name").textContent = person.name;
    section.querySelector(".role").textContent = ROLE_LABELS[person.role] || person.role;
    const pane = { person, el: section, messages: new Map(), deleted: new Set() };
    wireComposer(pane);
    panes.set(person.id, pane);
    panesEl.append(section);
    return pane;
  }

  function wireComposer(pane) {
    const id = pane.person.id;
    const form = pane.el.querySelector(".composer");
    const input = pane.el.querySelector("[data-testid=message-input]");
    const photo = pane.el.querySelector("[data-testid=photo-input]");
    const menu = pane.el.querySelector("[data-testid=command-menu]");

    const send = () => {
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      post("/api/send", { user_id: id, text }, id);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    input.addEventListener("keydown", (event) => {
      // Enter sends; not while an input method (Chinese IME) is composing.
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        send();
      } else if (event.key === "Escape") {
        menu.hidden = true;
      }
    });

    photo.addEventListener("change", () => {
      const file = photo.files && photo.files[0];
      if (!file) return;
      const data = new FormData();
      data.append("user_id", String(id));
      const caption = input.value.trim();
      if (caption) {
        data.append("caption", caption);
        input.value = "";
      }
      data.append("file", file, file.name);
      photo.value = ""; // the same file can be chosen again
      post("/api/photo", data, id);
    });

    pane.el.querySelector("[data-testid=command-button]").addEventListener("click", () => {
      menu.hidden = !menu.hidden;
      if (!menu.hidden) renderCommands(pane);
    });
  }

  function clearPanes() {
    for (const pane of panes.values()) {
      pane.messages.clear();
      pane.deleted.clear();
      pane.el.querySelectorAll("[data-testid=message]").forEach((node) => node.remove());
      pane.el.querySelector("[data-testid=command-menu]").hidden = true;
      refreshReplyKeyboard(pane);
      refreshEmpty(pane);
    }
    commands.byChat.clear();
    commands.fallback = [];
    generation += 1; // a state fetched before the reset is dropped
  }

  function refreshEmpty(pane) {
    pane.el.querySelector(".empty").hidden = pane.messages.size > 0;
  }

  // -- messages ----------------------------------------------------------------------------
  /** Add or replace a message; `live` is true for events, false for state snapshots. */
  function upsertMessage(msg, live) {
    const pane = panes.get(msg.chat_id);
    if (!pane) return;
    const id = msg.message_id;
    const list = pane.el.querySelector("[data-testid=messages]");
    const existing = list.querySelector(`[data-message-id="${id}"]`);
    if (msg.deleted || msg.kind === "delete") {
      pane.deleted.add(id);
      pane.messages.delete(id);
      if (existing) existing.remove();
    } else {
      const known = pane.messages.get(id);
      // A snapshot can be older than an event that already arrived: keep the newest.
      if (pane.deleted.has(id)) return;
      if (known && (msg.edited < known.edited || (!live && msg.edited === known.edited))) return;
      pane.messages.set(id, msg);
      const node = renderMessage(pane, msg);
      if (existing) {
        existing.replaceWith(node);
      } else {
        const later = [...list.querySelectorAll("[data-message-id]")].find(
          (other) => Number(other.dataset.messageId) > id,
        );
        list.insertBefore(node, later || null);
        list.scrollTop = list.scrollHeight;
      }
    }
    refreshReplyKeyboard(pane);
    refreshEmpty(pane);
  }

  function renderMessage(pane, msg) {
    const bubble = el("div", { class: "bubble", "data-testid": "bubble" });
    if (msg.photo) {
      const img = el("img", {
        class: "photo",
        src: `/api/file/${encodeURIComponent(msg.photo)}`,
        alt: "照片 photo",
        "data-testid": "photo",
      });
      img.addEventListener("load", () => {
        const list = pane.el.querySelector("[data-testid=messages]");
        list.scrollTop = list.scrollHeight;
      });
      bubble.append(img);
    }
    if (msg.document) {
      const name = msg.document.file_name || "file";
      bubble.append(
        el(
          "a",
          {
            class: "card",
            href: `/api/file/${encodeURIComponent(msg.document.file_id)}`,
            download: name,
            "data-testid": "document",
          },
          el("span", { class: "icon" }, "📄"),
          el("span", {}, name, el("small", {}, "下载 download")),
        ),
      );
    }
    if (msg.venue && msg.location) {
      const { latitude, longitude } = msg.location;
      bubble.append(
        el(
          "div",
          { class: "card", "data-testid": "venue" },
          el("span", { class: "icon" }, "🏠"),
          el(
            "span",
            {},
            msg.venue.title || "地点 Venue",
            el("small", {}, msg.venue.address || ""),
            el("small", {}, `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`),
          ),
        ),
      );
    } else if (msg.location) {
      const { latitude, longitude } = msg.location;
      bubble.append(
        el(
          "div",
          { class: "card", "data-testid": "location" },
          el("span", { class: "icon" }, "📍"),
          el(
            "span",
            {},
            "位置 Location",
            el("small", {}, `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`),
          ),
        ),
      );
    }
    if (msg.contact) {
      bubble.append(
        el(
          "div",
          { class: "card", "data-testid": "contact" },
          el("span", { class: "icon" }, "📞"),
          el(
            "span",
            {},
            msg.contact.first_name || "联系人 Contact",
            el("small", {}, msg.contact.phone_number || ""),
          ),
        ),
      );
    }
    if (msg.sticker) bubble.append(el("div", { class: "card" }, "👍 贴纸 sticker"));
    if (msg.voice) bubble.append(el("div", { class: "card" }, "🎤 语音 voice message"));
    if (msg.html != null || msg.text != null) {
      const text = el("div", { class: "text", "data-testid": "text" });
      text.append(msg.html != null ? renderHtml(msg.html) : msg.text);
      bubble.append(text);
    }
    const meta = el("span", { class: "meta" });
    if (msg.edited) meta.append(el("span", { "data-testid": "edited" }, "已编辑 edited · "));
    meta.append(timeOf(msg.date));
    bubble.append(meta);

    const node = el(
      "div",
      {
        class: `message ${msg.from_bot ? "from-bot" : "from-user"}`,
        "data-testid": "message",
        "data-message-id": String(msg.message_id),
        "data-from": msg.from_bot ? "bot" : "user",
      },
      bubble,
    );
    if (msg.inline_keyboard && msg.inline_keyboard.length) {
      node.append(renderInlineKeyboard(pane, msg));
    }
    return node;
  }

  function renderInlineKeyboard(pane, msg) {
    const keyboard = el("div", { class: "inline-keyboard", "data-testid": "inline-keyboard" });
    for (const row of msg.inline_keyboard) {
      const rowEl = el("div", { class: "inline-row" });
      for (const button of row) {
        const href = button.url ? safeHref(button.url) : null;
        if (href) {
          rowEl.append(
            el(
              "a",
              {
                class: "inline-button",
                href,
                target: "_blank",
                rel: "noopener noreferrer",
                "data-testid": "inline-button",
              },
              `${button.text} ↗`,
            ),
          );
          continue;
        }
        const node = el(
          "button",
          { type: "button", class: "inline-button", "data-testid": "inline-button" },
          button.text,
        );
        if (button.callback_data != null) {
          node.addEventListener("click", () => {
            node.classList.add("pressed");
            setTimeout(() => node.classList.remove("pressed"), 400);
            post(
              "/api/press",
              { user_id: pane.person.id, message_id: msg.message_id, data: button.callback_data },
              pane.person.id,
            );
          });
        } else {
          node.disabled = true; // a kind of button the sandbox does not emulate
        }
        rowEl.append(node);
      }
      keyboard.append(rowEl);
    }
    return keyboard;
  }

  // -- the reply keyboard: from the latest bot message that set or removed one ------------
  function currentReplyKeyboard(pane) {
    const ids = [...pane.messages.keys()].sort((a, b) => b - a);
    for (const id of ids) {
      const msg = pane.messages.get(id);
      if (msg.from_bot && msg.reply_keyboard) {
        return msg.reply_keyboard.remove ? null : msg.reply_keyboard.keyboard;
      }
    }
    return null;
  }

  function refreshReplyKeyboard(pane) {
    const box = pane.el.querySelector("[data-testid=reply-keyboard]");
    const rows = currentReplyKeyboard(pane);
    box.replaceChildren();
    box.hidden = !rows || rows.length === 0;
    if (box.hidden) return;
    const id = pane.person.id;
    for (const row of rows) {
      const rowEl = el("div", { class: "reply-row" });
      for (const button of row) {
        const request = button.request_contact || button.request_location;
        const node = el(
          "button",
          {
            type: "button",
            class: request ? "reply-button request" : "reply-button",
            "data-testid": "reply-button",
          },
          button.text,
        );
        node.addEventListener("click", () => {
          if (button.request_contact) post("/api/contact", { user_id: id }, id);
          else if (button.request_location) post("/api/location", { user_id: id, ...ZHAOQING }, id);
          else post("/api/send", { user_id: id, text: button.text }, id);
        });
        rowEl.append(node);
      }
      box.append(rowEl);
    }
  }

  // -- command menus -----------------------------------------------------------------------
  function setCommands(scope, list) {
    const match = /^chat:(-?\d+)/.exec(scope);
    if (match) {
      commands.byChat.set(Number(match[1]), list);
      for (const touched of commands.inflight) touched.add(Number(match[1]));
    } else if (scope === "default") {
      commands.fallback = list;
    } else {
      return; // other scopes (languages, groups) are not shown
    }
    for (const pane of panes.values()) {
      const menu = pane.el.querySelector("[data-testid=command-menu]");
      if (!menu.hidden) renderCommands(pane);
    }
  }

  function renderCommands(pane) {
    const menu = pane.el.querySelector("[data-testid=command-menu]");
    const id = pane.person.id;
    const list = commands.byChat.get(id) || commands.fallback;
    menu.replaceChildren();
    if (!list.length) {
      menu.append(el("p", { class: "none" }, "没有命令 No commands"));
      return;
    }
    for (const { command, description } of list) {
      const item = el(
        "button",
        { type: "button", class: "command-item", "data-testid": "command-item" },
        el("span", { class: "command" }, `/${command}`),
        el("span", { class: "description" }, description),
      );
      item.addEventListener("click", () => {
        menu.hidden = true;
        post("/api/send", { user_id: id, text: `/${command}` }, id);
      });
      menu.append(item);
    }
  }

  // Close an open command menu on a click elsewhere in its pane or outside.
  document.addEventListener("click", (event) => {
    for (const pane of panes.values()) {
      const menu = pane.el.querySelector("[data-testid=command-menu]");
      const button = pane.el.querySelector("[data-testid=command-button]");
      if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) {
        menu.hidden = true;
      }
    }
  });

  // -- toasts (answers to button presses) --------------------------------------------------
  function toast(chatId, text, alert) {
    const pane = panes.get(chatId);
    if (!text) return;
    if (!pane) {
      console.warn(text); // not about one person (e.g. a failed reset)
      return;
    }
    const box = pane.el.querySelector("[data-testid=toasts]");
    const node = el("div", { class: alert ? "toast alert" : "toast", "data-testid": "toast" });
    node.append(text);
    if (alert) {
      node.append(el("button", { type: "button", onclick: () => node.remove() }, "好 OK"));
    } else {
      setTimeout(() => node.remove(), TOAST_MS);
    }
    box.append(node);
  }

  // -- state and live events ---------------------------------------------------------------
  async function loadState() {
    const started = generation;
    const touched = new Set();
    commands.inflight.add(touched);
    let state;
    try {
      const response = await fetch("/api/state", { cache: "no-store" });
      if (!response.ok) throw new Error(`state: HTTP ${response.status}`);
      state = await response.json();
    } finally {
      commands.inflight.delete(touched);
    }
    if (started !== generation) return;
    document.querySelector("[data-testid=bot-name]").textContent =
      `${state.bot.name} · @${state.bot.username}`;
    for (const person of state.people) {
      if (!panes.has(person.id)) buildPane(person);
    }
    for (const [chatId, list] of Object.entries(state.commands)) {
      if (!touched.has(Number(chatId))) commands.byChat.set(Number(chatId), list);
    }
    for (const list of Object.values(state.chats)) {
      for (const msg of list) upsertMessage(msg, false);
    }
  }

  function setConnection(stateName, label) {
    connectionEl.dataset.state = stateName;
    connectionEl.textContent = label;
  }

  function reload() {
    loadState().catch((err) => setConnection("closed", `出错 error: ${err.message}`));
  }

  function connect() {
    const source = new EventSource("/api/events");
    source.addEventListener("open", () => {
      setConnection("open", "已连接 live");
      reload(); // catch up on whatever happened while we were away
    });
    source.addEventListener("error", () => {
      setConnection("closed", "重新连接 reconnecting…");
      // The browser retries by itself unless the stream was refused for good.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
    });
    source.addEventListener("message", (event) => upsertMessage(JSON.parse(event.data), true));
    source.addEventListener("commands", (event) => {
      const data = JSON.parse(event.data);
      setCommands(data.scope, data.commands);
    });
    source.addEventListener("answer", (event) => {
      const data = JSON.parse(event.data);
      toast(data.chat_id, data.text, data.show_alert);
    });
    source.addEventListener("reset", () => {
      clearPanes();
      reload();
    });
  }

  document.querySelector("[data-testid=reset]").addEventListener("click", () => {
    if (!window.confirm("清空所有对话，重新开始？\nClear every chat and start over?")) return;
    post("/api/reset", {}, null);
  });

  connect();
})();
