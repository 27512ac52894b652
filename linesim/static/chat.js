// linesim chat page: talk to the bot as a resident.
// Every node is built with createElement/textContent: no user or bot text is
// ever parsed as HTML.
"use strict";

(function () {
  const app = document.getElementById("app");
  const userId = app.dataset.userId;
  const log = document.getElementById("log");
  const quickReplies = document.getElementById("quick-replies");
  const statusLine = document.getElementById("status");
  const loading = document.getElementById("loading");
  const richMenu = document.getElementById("rich-menu");
  const richMenuToggle = document.getElementById("rich-menu-toggle");
  const richMenuPanel = document.getElementById("rich-menu-panel");
  const enc = encodeURIComponent;
  let lastSeq = 0;
  let lastEntry = null;
  let userState = null;
  let richMenuKey = null;
  let polling = false;

  // Bangkok City Hall, the default "share location".
  const CITY_HALL = { latitude: 13.7563, longitude: 100.5018, title: "ศาลาว่าการกรุงเทพมหานคร",
    address: "173 ถนนดินสอ แขวงเสาชิงช้า เขตพระนคร กรุงเทพมหานคร 10200" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  async function sendEvent(spec) {
    setStatus("กำลังส่ง…");
    try {
      const resp = await fetch(`/_sim/users/${enc(userId)}/events`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(spec),
      });
      const body = await resp.json();
      if (!resp.ok) setStatus(`emulator: ${body.error || resp.status}`);
      else if (body.status === null) setStatus(`bot unreachable: ${body.error}`);
      else setStatus(`webhook ${spec.type} → bot HTTP ${body.status} (${Math.round(body.elapsed_s * 1000)} ms)`);
    } catch (err) {
      setStatus(`emulator unreachable: ${err}`);
    }
    poll();
  }

  // --- actions (quick reply, template and flex buttons, rich menu areas) ---
  function runAction(action) {
    if (!action || !action.type) return;
    switch (action.type) {
      case "message":
        sendEvent({ type: "text", text: action.text || action.label || "" });
        break;
      case "postback": {
        const spec = { type: "postback", data: action.data || "" };
        if (action.displayText) spec.display_text = action.displayText;
        else if (action.text) spec.display_text = action.text;
        sendEvent(spec);
        break;
      }
      case "datetimepicker": {
        const mode = action.mode || "datetime";
        const hint = mode === "date" ? "YYYY-MM-DD" : mode === "time" ? "HH:mm" : "YYYY-MM-DDTHH:mm";
        const value = window.prompt(`${action.label || "เลือก"} (${hint})`, action.initial || "");
        if (value) sendEvent({ type: "postback", data: action.data || "", params: { [mode]: value } });
        break;
      }
      case "uri":
        window.open(action.uri, "_blank", "noopener");
        break;
      case "location":
        shareLocation();
        break;
      case "camera":
      case "cameraRoll":
        document.getElementById("image-input").click();
        break;
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        setStatus("คัดลอกแล้ว");
        break;
      case "richmenuswitch":
        sendEvent({ type: "postback", data: action.data || "" });
        break;
      default:
        setStatus(`action ${action.type} is not simulated`);
    }
  }

  function actionButton(action, className) {
    const label = (action && (action.label || action.text || action.type)) || "?";
    const button = el("button", className, label);
    button.type = "button";
    button.addEventListener("click", () => runAction(action));
    return button;
  }

  // --- rendering bot messages ---
  function imageBox(url, small) {
    const box = el("div", small ? "imgbox small" : "imgbox");
    let name = "image";
    try { name = decodeURIComponent(new URL(url).pathname.split("/").pop() || "image"); } catch (e) { /* keep */ }
    box.textContent = `🖼 ${name}`;
    box.title = url || "";
    return box;
  }

  function renderTemplate(template) {
    if (template.type === "carousel" || template.type === "image_carousel") {
      const wrap = el("div", "carousel");
      for (const column of template.columns || []) {
        if (template.type === "image_carousel") {
          const card = el("div", "card");
          card.appendChild(imageBox(column.imageUrl));
          const actions = el("div", "actions");
          actions.appendChild(actionButton(column.action));
          card.appendChild(actions);
          wrap.appendChild(card);
        } else {
          wrap.appendChild(renderButtonsCard(column, false));
        }
      }
      return wrap;
    }
    return renderButtonsCard(template, template.type === "confirm");
  }

  function renderButtonsCard(spec, confirm) {
    const card = el("div", "card");
    if (spec.thumbnailImageUrl) card.appendChild(imageBox(spec.thumbnailImageUrl));
    if (spec.title) card.appendChild(el("div", "title", spec.title));
    card.appendChild(el("div", "text", spec.text || ""));
    const actions = el("div", confirm ? "actions confirm" : "actions");
    for (const action of spec.actions || []) actions.appendChild(actionButton(action));
    card.appendChild(actions);
    return card;
  }

  function renderFlexComponent(comp) {
    switch (comp.type) {
      case "box": {
        const box = el("div", `flex-box ${comp.layout || "vertical"}`);
        if (comp.backgroundColor) box.style.backgroundColor = comp.backgroundColor;
        for (const child of comp.contents || []) box.appendChild(renderFlexComponent(child));
        if (comp.action) box.addEventListener("click", () => runAction(comp.action));
        return box;
      }
      case "text": {
        const classes = ["flex-text"];
        if (comp.weight === "bold") classes.push("bold");
        if (comp.size) classes.push(`size-${comp.size}`);
        const text = comp.contents && comp.contents.length
          ? comp.contents.map((span) => span.text || "").join("") : comp.text;
        const node = el("div", classes.join(" "), text);
        if (comp.color) node.style.color = comp.color;
        if (comp.align) node.style.textAlign = comp.align === "end" ? "right" : comp.align === "center" ? "center" : "left";
        if (comp.flex === 0) node.style.flex = "0 0 auto";
        if (comp.action) node.addEventListener("click", () => runAction(comp.action));
        return node;
      }
      case "button":
        return actionButton(comp.action, `flex-button ${comp.style || "link"}`);
      case "image":
      case "video":
        return imageBox(comp.url, false);
      case "icon":
        return imageBox(comp.url, true);
      case "separator":
        return el("div", "flex-sep");
      default:
        return el("span");
    }
  }

  function renderBubble(bubble) {
    const card = el("div", "card");
    if (bubble.header) { const b = el("div", "flex-block"); b.appendChild(renderFlexComponent(bubble.header)); card.appendChild(b); }
    if (bubble.hero) card.appendChild(renderFlexComponent(bubble.hero));
    if (bubble.body) { const b = el("div", "flex-block"); b.appendChild(renderFlexComponent(bubble.body)); card.appendChild(b); }
    if (bubble.footer) { const b = el("div", "flex-block"); b.appendChild(renderFlexComponent(bubble.footer)); card.appendChild(b); }
    if (bubble.action) card.addEventListener("click", () => runAction(bubble.action));
    return card;
  }

  function renderFlex(contents) {
    if (contents && contents.type === "carousel") {
      const wrap = el("div", "carousel");
      for (const bubble of contents.contents || []) wrap.appendChild(renderBubble(bubble));
      return wrap;
    }
    return renderBubble(contents || {});
  }

  function renderMessage(message, fromUser) {
    const type = message && message.type;
    switch (type) {
      case "text":
      case "textV2":
        return el("div", "bubble", message.text);
      case "system":
        return el("div", "bubble", { followed: "เพิ่มเพื่อนแล้ว", unblocked: "เลิกบล็อกแล้ว", blocked: "บล็อกแล้ว" }[message.text] || message.text);
      case "postback":
        return el("div", "bubble", `[postback] ${message.data}`);
      case "sticker":
        return el("div", "bubble sticker", `🧸 ${message.packageId}/${message.stickerId}`);
      case "image":
        if (fromUser && message.id) {
          const img = el("img", "photo");
          img.alt = "image";
          img.src = `/_sim/content/${enc(message.id)}`;
          return img;
        }
        return imageBox(message.previewImageUrl || message.originalContentUrl);
      case "location":
        return el("div", "bubble location", `📍 ${message.title || ""}\n${message.address || ""}\n${message.latitude}, ${message.longitude}`);
      case "template":
        return renderTemplate(message.template || {});
      case "flex":
        return renderFlex(message.contents);
      default:
        return el("div", "bubble", `[${type}] ${message && (message.altText || "")}`);
    }
  }

  function appendEntry(entry) {
    const fromUser = entry.from === "user";
    const system = entry.message && entry.message.type === "system";
    const row = el("div", `row ${system ? "system" : fromUser ? "user" : "bot"}`);
    const time = new Date(entry.at * 1000).toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit" });
    const meta = el("span", "meta", fromUser ? time : `${time} · ${entry.via}`);
    const node = renderMessage(entry.message || {}, fromUser);
    if (fromUser) { row.appendChild(meta); row.appendChild(node); }
    else { row.appendChild(node); if (!system) row.appendChild(meta); }
    log.appendChild(row);
  }

  function renderQuickReplies() {
    quickReplies.replaceChildren();
    const message = lastEntry && lastEntry.from === "bot" ? lastEntry.message : null;
    const items = message && message.quickReply && message.quickReply.items;
    if (!items) return;
    for (const item of items) quickReplies.appendChild(actionButton(item.action));
  }

  function renderRichMenu(menu) {
    const key = menu ? menu.richMenuId : null;
    if (key === richMenuKey) return;
    richMenuKey = key;
    richMenuPanel.replaceChildren();
    if (!menu) { richMenu.hidden = true; return; }
    richMenu.hidden = false;
    richMenuToggle.textContent = `${menu.chatBarText} ▾`;
    richMenuPanel.style.backgroundImage = `url("${menu.imageUrl}")`;
    richMenuPanel.style.aspectRatio = `${menu.size.width} / ${menu.size.height}`;
    for (const area of menu.areas || []) {
      const b = area.bounds;
      const button = actionButton(area.action);
      button.style.left = `${(100 * b.x) / menu.size.width}%`;
      button.style.top = `${(100 * b.y) / menu.size.height}%`;
      button.style.width = `${(100 * b.width) / menu.size.width}%`;
      button.style.height = `${(100 * b.height) / menu.size.height}%`;
      richMenuPanel.appendChild(button);
    }
    richMenuPanel.classList.toggle("closed", !menu.selected);
  }

  function renderState() {
    if (!userState) return;
    document.getElementById("display-name").textContent = userState.displayName || "";
    document.getElementById("follow-btn").hidden = !!userState.following;
    document.getElementById("block-btn").hidden = !userState.following;
    loading.hidden = !userState.loading;
    renderRichMenu(userState.richMenu);
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const resp = await fetch(`/_sim/users/${enc(userId)}/messages?with_user=1&since=${lastSeq}`);
      const entries = await resp.json();
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      for (const entry of entries) {
        appendEntry(entry);
        lastSeq = Math.max(lastSeq, entry.seq);
        lastEntry = entry;
      }
      if (entries.length) {
        renderQuickReplies();
        if (atBottom || entries.some((e) => e.from === "user")) log.lastElementChild.scrollIntoView({ block: "end" });
      }
      const stateResp = await fetch(`/_sim/users/${enc(userId)}`);
      if (stateResp.ok) { userState = await stateResp.json(); renderState(); }
      else { document.getElementById("block-btn").hidden = true; }
    } catch (err) {
      setStatus(`emulator unreachable: ${err}`);
    } finally {
      polling = false;
    }
  }

  function shareLocation() {
    sendEvent({ type: "location", ...CITY_HALL });
  }

  // --- composer and buttons ---
  document.getElementById("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendEvent({ type: "text", text });
  });
  document.getElementById("follow-btn").addEventListener("click", () => sendEvent({ type: "follow" }));
  document.getElementById("block-btn").addEventListener("click", () => sendEvent({ type: "unfollow" }));
  document.getElementById("more-btn").addEventListener("click", () => {
    const more = document.getElementById("more");
    more.hidden = !more.hidden;
  });
  document.getElementById("sticker-btn").addEventListener("click", () => sendEvent({ type: "sticker", package_id: "446", sticker_id: "1988" }));
  document.getElementById("location-btn").addEventListener("click", shareLocation);
  document.getElementById("image-input").addEventListener("change", (ev) => {
    const file = ev.target.files && ev.target.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      const b64 = String(reader.result).split(",", 2)[1] || "";
      sendEvent({ type: "image", image_b64: b64 });
    };
    reader.readAsDataURL(file);
    ev.target.value = "";
  });
  richMenuToggle.addEventListener("click", () => richMenuPanel.classList.toggle("closed"));

  poll();
  setInterval(poll, 1000);
})();
