// The welcome editor: a template's scope, texts, attachments and time slots, posted as JSON.
"use strict";
(function () {
  const form = document.getElementById("welcome-editor");
  if (!form) return;
  const { post, show, uploadImage, root } = window.scrmConsole;
  const loaded = JSON.parse(form.dataset.template || "null");
  const products = JSON.parse(form.dataset.products || "[]");
  const groupCodes = JSON.parse(form.dataset.groupCodes || "[]");
  const field = (name) => form.querySelector('[name="' + name + '"]');
  const result = form.querySelector(".result");
  let attachments = loaded ? loaded.attachments : [];

  const say = (data) => show(result, data);

  function describe(item) {
    const kind = item.msgtype;
    const body = item[kind] || {};
    if (kind === "image") return "图片";
    if (kind === "link") return "链接：" + (body.title || body.url);
    if (kind === "product") {
      const product = products.find((p) => p.id === body.id);
      return "商品卡片：" + (product ? product.name : body.id);
    }
    if (kind === "miniprogram") return "小程序：" + (body.title || "");
    if (kind === "group_code") {
      const code = groupCodes.find((c) => c.id === body.id);
      return "群活码二维码：" + (code ? code.name : body.id);
    }
    return kind;
  }

  function drawAttachments() {
    const list = form.querySelector(".attachments");
    const cards = form.querySelector(".preview .cards");
    list.textContent = "";
    cards.textContent = "";
    attachments.forEach((item, i) => {
      const entry = document.createElement("li");
      entry.textContent = describe(item) + " ";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "删除";
      remove.addEventListener("click", () => { attachments.splice(i, 1); drawAttachments(); });
      entry.append(remove);
      list.append(entry);
      const card = document.createElement("li");
      card.className = "card-bubble";
      if (item.msgtype === "image" && item.image && item.image.media_ref) {
        const img = document.createElement("img");
        img.src = "../sidebar/media/" + encodeURIComponent(item.image.media_ref);
        img.alt = "图片";
        card.append(img);
      } else {
        card.textContent = describe(item);
      }
      cards.append(card);
    });
  }

  function addSlot(slot) {
    const row = document.getElementById("slot-row").content.firstElementChild.cloneNode(true);
    row.querySelectorAll("label:not(.check)").forEach((label, i) => {
      const input = label.nextElementSibling;
      input.id = "slot-" + Math.random().toString(36).slice(2) + "-" + i;
      label.htmlFor = input.id;
    });
    if (slot) {
      ["start", "end", "date_from", "date_to", "text", "text_without_name"].forEach((name) => {
        row.querySelector('[name="' + name + '"]').value = slot[name] || "";
      });
      row.querySelectorAll('[name="weekday"]').forEach((box) => { box.checked = slot.weekdays.includes(Number(box.value)); });
      row.dataset.attachments = JSON.stringify(slot.attachments || []);
    }
    row.querySelector(".remove-slot").addEventListener("click", () => row.remove());
    form.querySelector(".slots").append(row);
  }

  function collect() {
    return {
      ...(loaded ? { id: loaded.id } : {}),
      scope: field("scope").value,
      target: field("target").value.trim(),
      name: field("name").value.trim(),
      text: field("text").value,
      text_without_name: field("text_without_name").value,
      attachments,
      slots: [...form.querySelectorAll(".slots > li")].map((row) => ({
        weekdays: [...row.querySelectorAll('[name="weekday"]:checked')].map((box) => Number(box.value)),
        start: row.querySelector('[name="start"]').value,
        end: row.querySelector('[name="end"]').value,
        date_from: row.querySelector('[name="date_from"]').value,
        date_to: row.querySelector('[name="date_to"]').value,
        text: row.querySelector('[name="text"]').value,
        text_without_name: row.querySelector('[name="text_without_name"]').value,
        attachments: JSON.parse(row.dataset.attachments || "[]"),
      })),
    };
  }

  const fill = (id, items) => items.forEach((item) => {
    const option = document.createElement("option");
    option.value = item.id;
    option.textContent = item.name;
    document.getElementById(id).append(option);
  });
  fill("w-product", products);
  fill("w-group-code", groupCodes);
  const prefill = JSON.parse(form.dataset.prefill || "null");
  if (!loaded && prefill) { field("scope").value = prefill.scope; field("target").value = prefill.target; }
  if (loaded) {
    ["scope", "target", "name", "text", "text_without_name"].forEach((name) => { field(name).value = loaded[name] || ""; });
    loaded.slots.forEach(addSlot);
    field("text").dispatchEvent(new Event("input"));  // console.js, loaded first, previews it
  }
  drawAttachments();

  document.getElementById("add-slot").addEventListener("click", () => addSlot(null));
  document.getElementById("add-product").addEventListener("click", () => {
    const id = document.getElementById("w-product").value;
    if (!id) { say({ reply: "请先选择一个商品", refused: true }); return; }
    attachments.push({ msgtype: "product", product: { id } });
    drawAttachments();
  });
  document.getElementById("add-group-code").addEventListener("click", () => {
    const id = document.getElementById("w-group-code").value;
    if (!id) { say({ reply: "请先选择一个群活码", refused: true }); return; }
    attachments.push({ msgtype: "group_code", group_code: { id } });
    drawAttachments();
  });
  document.getElementById("add-link").addEventListener("click", () => {
    const url = document.getElementById("w-link-url").value.trim();
    const title = document.getElementById("w-link-title").value.trim();
    if (!/^https?:\/\//.test(url) || !title) { say({ reply: "链接需要标题和以 http(s):// 开头的网址", refused: true }); return; }
    attachments.push({ msgtype: "link", link: { title, url, desc: document.getElementById("w-link-desc").value.trim() } });
    drawAttachments();
  });
  document.getElementById("w-image").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const data = await uploadImage(file);
    say(data);
    if (!data.refused) { attachments.push({ msgtype: "image", image: { media_ref: data.ref } }); drawAttachments(); }
    event.target.value = "";
  });
  const remove = document.getElementById("delete-welcome");
  if (remove) {
    remove.addEventListener("click", async () => {
      if (!window.confirm("删除欢迎语「" + loaded.name + "」？")) return;
      const data = await post("api/welcomes/delete", { id: loaded.id });
      say(data);
      if (!data.refused) setTimeout(() => { location.href = new URL("welcomes", root).href; }, 1200);
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const data = await post("api/welcomes/save", { template: collect() });
    say(data);
    button.disabled = false;
    if (!data.refused && !loaded) setTimeout(() => { location.href = new URL("welcomes/" + data.id, root).href; }, 1200);
  });
})();
