// The group-welcome editor: name, text and one attachment (an image uploaded, or a link).
"use strict";
(function () {
  const form = document.getElementById("gw-editor");
  if (!form) return;
  const { post, show, uploadImage } = window.scrmConsole;
  const result = form.querySelector(".result");
  const kind = document.getElementById("gw-kind");
  let image = null; // {media_ref} once uploaded, or the one loaded

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
    const data = await uploadImage(file);
    show(result, data);
    if (!data.refused) { image = { media_ref: data.ref }; form.querySelector(".gw-image-state").textContent = "已上传：" + file.name; }
  });
  document.querySelectorAll("button.edit-gw").forEach((button) => {
    button.addEventListener("click", () => load(JSON.parse(button.dataset.welcome)));
  });
  document.querySelectorAll("button.delete-gw").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除入群欢迎语「" + button.dataset.name + "」？企业微信里的也会删除。")) return;
      const data = await post("api/group-welcomes/delete", { id: button.dataset.id });
      show(document.getElementById("gw-list-result"), data);
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
    show(result, data);
    if (!data.refused) setTimeout(() => location.reload(), 1200);
  });
  load(null);
})();
