// The product editor: a mini-program or link card, a cover uploaded, the product posted as JSON.
"use strict";
(function () {
  const form = document.getElementById("product-editor");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = new URL(document.querySelector('meta[name="console-root"]').content, location.origin);
  const FIELDS = ["id", "name", "price", "description", "appid", "page", "url", "image_url", "image_ref"];
  const field = (name) => form.querySelector('[name="' + name + '"]');
  const result = form.querySelector(".result");

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

  function load(product) {
    form.reset();
    FIELDS.forEach((name) => { field(name).value = product ? product[name] || "" : ""; });
    document.getElementById("product-title").textContent = product ? "编辑「" + product.name + "」" : "新建商品";
    form.querySelector(".cover-state").textContent = product && product.image_ref ? "已有封面（选新文件可替换）" : "";
    if (product) form.scrollIntoView();
  }

  document.getElementById("p-cover").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > 2 * 1024 * 1024) { say(result, { reply: "图片不能超过 2 MB", refused: true }); return; }
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    const data = await post("api/media/image", { name: file.name, data: btoa(binary) });
    say(result, data);
    if (!data.refused) { field("image_ref").value = data.ref; form.querySelector(".cover-state").textContent = "已上传：" + file.name; }
  });
  document.querySelectorAll("button.edit-product").forEach((button) => {
    button.addEventListener("click", () => load(JSON.parse(button.dataset.product)));
  });
  document.querySelectorAll("button.delete-product").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除商品「" + button.dataset.name + "」？")) return;
      const data = await post("api/products/delete", { id: button.dataset.id });
      say(button.parentElement.querySelector(".result"), data);
      if (!data.refused) setTimeout(() => location.reload(), 1200);
    });
  });
  document.getElementById("product-new").addEventListener("click", () => load(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const product = {};
    FIELDS.forEach((name) => { const value = field(name).value.trim(); if (name !== "id" || value) product[name] = value; });
    const data = await post("api/products/save", { product });
    say(result, data);
    if (!data.refused) setTimeout(() => location.reload(), 1200);
  });
})();
