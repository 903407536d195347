// The console's script: posts a form as its admin command, shows the answer, and asks before a
// destructive command runs (the same confirmation code admin chat would send). Its `post`,
// `show` and `uploadImage` are the editors' too (window.scrmConsole; they load after it).
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = new URL(document.querySelector('meta[name="console-root"]').content, location.origin);

  async function post(path, body) {
    let response;
    try {
      response = await fetch(new URL(path, root), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      return { reply: "网络不通，请检查网络后重试", refused: true };
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      return { reply: data.error || "请求失败（" + response.status + "），请稍后重试", refused: true };
    }
    return data;
  }

  function show(box, data) {
    box.className = "result" + (data.refused ? " refused" : data.code ? " pending" : "");
    box.textContent = data.reply || "";
    if (data.download) {  // a file the answer made ready: {href under the console, text}
      const link = document.createElement("a");
      link.href = root + data.download.href;
      link.download = "";
      link.textContent = " " + data.download.text;
      box.append(link);
    }
    if (data.code) {
      const go = document.createElement("button");
      go.type = "button";
      go.className = "danger";
      go.textContent = "确认执行";
      const no = document.createElement("button");
      no.type = "button";
      no.className = "secondary";
      no.textContent = "不执行";
      go.addEventListener("click", async () => {
        go.disabled = no.disabled = true;
        show(box, await post("api/confirm", { code: data.code }));
      });
      no.addEventListener("click", () => { box.textContent = "已取消，什么都没有改。"; box.className = "result"; });
      box.append(document.createElement("br"), go, " ", no);
      go.focus();
    }
  }

  // an image for an editor: checked, read and kept in the media library; the answer has its ref
  async function uploadImage(file) {
    if (file.size > 2 * 1024 * 1024) return { reply: "图片不能超过 2 MB", refused: true };
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return post("api/media/image", { name: file.name, data: btoa(binary) });
  }

  window.scrmConsole = { post, show, uploadImage, root };

  document.querySelectorAll("form.command").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = {};
      form.querySelectorAll("input[name], textarea[name], select[name]").forEach((el) => { values[el.name] = el.value; });
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        show(form.querySelector(".result"), await post("api/run", { key: form.dataset.key, values }));
      } finally {
        button.disabled = false;
      }
    });
  });

  // live previews: the text as the customer will see it, and what a save would refuse
  document.querySelectorAll(".preview[data-preview]").forEach((box) => {
    const field = box.closest("form").querySelector('[name="' + box.dataset.field + '"]');
    let timer = null;
    let asked = 0;
    const update = async () => {
      const mine = ++asked;
      const data = await post(box.dataset.preview, { text: field.value });
      if (mine !== asked) return; // a later keystroke's answer wins
      box.querySelector(".bubble").textContent = data.bubble || "";
      box.querySelector(".problem").textContent = data.problem || (data.refused ? data.reply : "");
      box.querySelector(".size").textContent = data.limit ? "  " + data.bytes + " / " + data.limit + " 字节" : "";
      box.classList.toggle("bad", Boolean(data.problem || data.refused));
    };
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    });
  });

  document.querySelectorAll("select.word-action").forEach((select) => {
    select.addEventListener("change", async () => {
      select.disabled = true;
      show(document.getElementById("action-result"),
        await post("api/words/action", { category: select.dataset.category, action: select.value }));
      select.disabled = false;
    });
  });

  const importForm = document.getElementById("word-import");
  if (importForm) {
    importForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = importForm.querySelector('input[type="file"]').files[0];
      const box = importForm.querySelector(".result");
      const report = importForm.querySelector(".report");
      report.textContent = "";
      if (!file) { show(box, { reply: "请选择一个词表文件", refused: true }); return; }
      if (file.size > 4 * 1024 * 1024) { show(box, { reply: "文件太大（上限 4 MB），请分成几个文件导入", refused: true }); return; }
      const button = importForm.querySelector('button[type="submit"]');
      button.disabled = true;
      box.className = "result"; box.textContent = "导入中…";
      const text = await file.text();
      const data = await post("api/words/import", {
        name: file.name, text,
        category: importForm.querySelector('select[name="category"]').value,
        keep_risky: importForm.querySelector('input[name="keep_risky"]').checked,
      });
      show(box, data);
      (data.lines || []).concat(data.flagged || []).forEach((line, i) => {
        const item = document.createElement("li");
        const kept = i >= (data.lines || []).length;
        item.textContent = "第 " + line.line + " 行「" + line.word + "」" + (kept ? "（已保留）" : "") + "：" + line.reason;
        report.append(item);
      });
      if (data.more) {
        const item = document.createElement("li");
        item.textContent = "……另有 " + data.more + " 行未导入";
        report.append(item);
      }
      button.disabled = false;
    });
  }

  // a file posted as text: data-post (the path), data-limit (bytes), data-what (what to pick),
  // data-id (sent along as `id`, e.g. the campaign a store list belongs to)
  document.querySelectorAll("form.file-import").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = form.querySelector('input[type="file"]').files[0];
      const box = form.querySelector(".result");
      const limit = Number(form.dataset.limit);
      if (!file) { show(box, { reply: "请选择" + form.dataset.what, refused: true }); return; }
      if (file.size > limit) {
        show(box, { reply: "文件太大（上限 " + Math.round(limit / 1024 / 1024) + " MB），请分成几个文件导入", refused: true });
        return;
      }
      box.className = "result"; box.textContent = "导入中…";
      const body = { name: file.name, text: await file.text() };
      if (form.dataset.id) body.id = form.dataset.id;
      const data = await post(form.dataset.post, body);
      show(box, data);
      if (!data.refused) setTimeout(() => location.reload(), 1500);
    });
  });

  const undo = document.getElementById("undo");
  if (undo) {
    undo.addEventListener("click", async () => {
      undo.disabled = true;
      show(document.getElementById("undo-result"), await post("api/undo"));
      undo.disabled = false;
    });
  }

  // a button that posts its data-body; with data-confirm it asks first, with data-reload the
  // page reloads after it succeeded
  document.querySelectorAll("button.post").forEach((button) => {
    button.addEventListener("click", async () => {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      button.disabled = true;
      const next = button.nextElementSibling;
      const box = next && next.classList.contains("result")
        ? next : button.closest("section").querySelector(".result");
      const data = await post(button.dataset.post, JSON.parse(button.dataset.body));
      show(box, data);
      button.disabled = false;
      if (!data.refused && button.dataset.reload) setTimeout(() => location.reload(), 1200);
    });
  });

  const doctor = document.getElementById("doctor");
  if (doctor) {
    doctor.addEventListener("click", async () => {
      doctor.disabled = true;
      const list = document.getElementById("doctor-result");
      list.textContent = "检查中…";
      const data = await post("api/doctor");
      list.textContent = "";
      if (data.refused) {
        list.textContent = data.reply;
      } else {
        data.checks.forEach((check) => {
          const item = document.createElement("li");
          item.className = check.ok ? "ok" : "bad";
          item.textContent = (check.ok ? "✓ " : "✗ ") + check.name + "：" + check.detail;
          list.append(item);
        });
      }
      doctor.disabled = false;
    });
  }

  // rows of rotation slots inside a form: added from the page's template, sent as a list
  const slotTemplate = document.getElementById("slot-template");
  document.querySelectorAll(".slot-rows").forEach((box) => {
    const hook = (row) => row.querySelector(".remove-slot").addEventListener("click", () => row.remove());
    box.querySelectorAll(".slot").forEach(hook);
    box.querySelector(".add-slot").addEventListener("click", () => {
      const row = slotTemplate.content.firstElementChild.cloneNode(true);
      hook(row);
      box.querySelector(".slots").append(row);
    });
  });
  const slotsOf = (form) => [...form.querySelectorAll(".slot")].map((row) => ({
    users: row.querySelector('[name="slot_users"]').value,
    weekdays: [...row.querySelectorAll('[name="slot_weekday"]:checked')].map((box) => Number(box.value)),
    start: row.querySelector('[name="slot_start"]').value,
    end: row.querySelector('[name="slot_end"]').value,
  }));

  document.querySelectorAll("form.json-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {};
      form.querySelectorAll("input[name], textarea[name], select[name]").forEach((el) => {
        if (el.name.startsWith("slot_")) return;
        body[el.name] = el.type === "checkbox" ? el.checked : el.value;
      });
      if (form.querySelector(".slot-rows")) body.slots = slotsOf(form);
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      // an image picked in the form is uploaded first; its media ref goes in data-ref's field
      // (with `multiple`, every picked image, their refs separated by spaces)
      for (const input of form.querySelectorAll('input[type="file"][data-ref]')) {
        const refs = [];
        for (const file of Array.from(input.files).slice(0, input.multiple ? 9 : 1)) {
          const uploaded = await uploadImage(file);
          if (uploaded.refused) { show(form.querySelector(".result"), uploaded); button.disabled = false; return; }
          refs.push(uploaded.ref);
        }
        if (refs.length) body[input.dataset.ref] = refs.join(" ");
      }
      const data = await post(form.dataset.post, body);
      show(form.querySelector(".result"), data);
      button.disabled = false;
      if (!data.refused && !data.download && !data.stay) setTimeout(() => location.reload(), 1200);
    });
  });

  document.querySelectorAll("button.delete-channel").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除渠道活码「" + button.dataset.name + "」？印出去的二维码将失效。")) return;
      button.disabled = true;
      const data = await post("api/channels/delete", { id: button.dataset.id });
      show(button.parentElement.querySelector(":scope > .result"), data);
      button.disabled = false;
      if (!data.refused) setTimeout(() => location.reload(), 1200);
    });
  });

  document.getElementById("signout").addEventListener("click", async () => {
    await post("api/signout");
    document.body.textContent = "已退出管理后台。";
  });
})();
