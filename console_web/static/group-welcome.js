// The group-welcome editor: name, text and one attachment (an image uploaded, or a link).
"use strict";
(function () {
  const form = document.getElementById("gw-editor");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = new URL(document.querySelector('meta[name="console-root"]').content, location.origin);
  const result = form.querySelector(".result");
  const kind = document.getElementById("gw-kind");
  let image = null; // {media_ref} once uploaded, or the one loaded

  async function post(path, body) {
    try {
      const response = await fetch(new URL(path, root), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      return response.ok ? data : { reply: data.error || "请求失败（" + response.status + "）", refused: true };
    } catch (e) {
      return { reply: "网络不通，请检查网络后重试", refused: true };
    }
  }
  const say = (box, data) => { box.className = "result" + (data.refused ? " refused" : ""); box.textContent = data.reply || ""; };
  const showKind = () => {
    form.querySelector(".gw-image").hidden = kind.value !== "image";
    form.querySelector(".gw-link").hidden = kind.value !== "link";
  };

  function load(welcome) {
    form.reset();
    image = null;
    form.querySelector('[name="id"]').value = welcome ? welcome.id : "";
    document.getElementById("gw-title").textContent = welcome ? "编辑「" + welcome.name + "」" : "新建入群欢迎语";
    form.querySelector(".gw-image-state").textContent = "";
    if (welcome) {
      document.getElementById("gw-name").value = welcome.name;
      document.getElementById("gw-text").value = welcome.text;
      const attachment = welcome.attachment;
      if (attachment && attachment.msgtype === "image") {
        kind.value = "image";
        image = attachment.image;
        form.querySelector(".gw-image-state").textContent = "已有图片（选新文件可替换）";
      } else if (attachment && attachment.msgtype === "link") {
        kind.value = "link";
        document.getElementById("gw-link-title").value = attachment.link.title || "";
        document.getElementById("gw-link-url").value = attachment.link.url || "";
        document.getElementById("gw-link-desc").value = attachment.link.desc || "";
      }
      form.scrollIntoView();
    }
    showKind();
  }

  kind.addEventListener("change", showKind);
  document.getElementById("gw-image").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > 2 * 1024 * 1024) { say(result, { reply: "图片不能超过 2 MB", refused: true }); return; }
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const data = await post("api/media/image", { name: file.name, data: btoa(binary) });
    say(result, data);
    if (!data.refused) { image = { media_ref: data.ref }; form.querySelector(".gw-image-state").textContent = "已上传：" + file.name; }
  });
  document.querySelectorAll("button.edit-gw").forEach((button) => {
    button.addEventListener("click", () => load(JSON.parse(button.dataset.welcome)));
  });
  document.querySelectorAll("button.delete-gw").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除入群欢迎语「" + button.dataset.name + "」？企业微信里的也会删除。")) return;
      const data = await post("api/group-welcomes/delete", { id: button.dataset.id });
      say(document.getElementById("gw-list-result"), data);
      if (!data.refused) setTimeout(() => location.reload(), 1200);
    });
  });
  document.getElementById("gw-new").addEventListener("click", () => load(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let attachment = null;
    if (kind.value === "image") attachment = image ? { msgtype: "image", image } : { msgtype: "image", image: {} };
    if (kind.value === "link") {
      attachment = { msgtype: "link", link: {
        title: document.getElementById("gw-link-title").value.trim(),
        url: document.getElementById("gw-link-url").value.trim(),
        desc: document.getElementById("gw-link-desc").value.trim(),
      } };
    }
    const id = form.querySelector('[name="id"]').value;
    const welcome = { ...(id ? { id } : {}), name: document.getElementById("gw-name").value.trim(), text: document.getElementById("gw-text").value, attachment };
    const data = await post("api/group-welcomes/save", { welcome });
    say(result, data);
    if (!data.refused) setTimeout(() => location.reload(), 1200);
  });
  load(null);
})();
