// The product editor: a mini-program or link card, a cover uploaded, the product posted as JSON.
"use strict";
(function () {
  const form = document.getElementById("product-editor");
  if (!form) return;
  const { post, show, uploadImage } = window.scrmConsole;
  const FIELDS = ["id", "name", "price", "description", "appid", "page", "url", "image_url", "image_ref"];
  const field = (name) => form.querySelector('[name="' + name + '"]');
  const result = form.querySelector(".result");

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
    const data = await uploadImage(file);
    show(result, data);
    if (!data.refused) { field("image_ref").value = data.ref; form.querySelector(".cover-state").textContent = "已上传：" + file.name; }
  });
  document.querySelectorAll("button.edit-product").forEach((button) => {
    button.addEventListener("click", () => load(JSON.parse(button.dataset.product)));
  });
  document.querySelectorAll("button.delete-product").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除商品「" + button.dataset.name + "」？")) return;
      const data = await post("api/products/delete", { id: button.dataset.id });
      show(button.parentElement.querySelector(".result"), data);
      if (!data.refused) setTimeout(() => location.reload(), 1200);
    });
  });
  document.getElementById("product-new").addEventListener("click", () => load(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const product = {};
    FIELDS.forEach((name) => { const value = field(name).value.trim(); if (name !== "id" || value) product[name] = value; });
    const data = await post("api/products/save", { product });
    show(result, data);
    if (!data.refused) setTimeout(() => location.reload(), 1200);
  });
})();
