// The SOP step builder: rows of steps, a rule loaded for editing, the rule posted as JSON.
"use strict";
(function () {
  const form = document.getElementById("sop-builder");
  if (!form) return;
  const { post, show, uploadImage } = window.scrmConsole;
  const steps = form.querySelector(".steps");
  const rowTemplate = document.getElementById("step-row");
  const field = (name) => form.querySelector('[name="' + name + '"]');
  const words = (text) => text.split(/[\s,，、]+/).filter(Boolean);
  const number = (text) => (text.trim() === "" ? 0 : Number(text));

  function addStep(step) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("label").forEach((label, i) => {
      const input = label.nextElementSibling;
      input.id = "step-" + Math.random().toString(36).slice(2) + "-" + i;
      label.htmlFor = input.id;
    });
    let attachments = step ? step.attachments || [] : [];
    const draw = () => {
      const list = row.querySelector(".step-attachments");
      list.textContent = "";
      attachments.forEach((item, i) => {
        const entry = document.createElement("li");
        const body = item[item.msgtype] || {};
        entry.textContent = (item.msgtype === "image" ? "图片" : item.msgtype === "link" ? "链接：" + (body.title || body.url) : item.msgtype) + " ";
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "secondary";
        remove.textContent = "删除";
        remove.addEventListener("click", () => { attachments.splice(i, 1); draw(); });
        entry.append(remove);
        list.append(entry);
      });
      row.dataset.attachments = JSON.stringify(attachments);
    };
    row.querySelector(".add-step-link").addEventListener("click", () => {
      const url = row.querySelector(".step-link-url").value.trim();
      const title = row.querySelector(".step-link-title").value.trim();
      if (!/^https?:\/\//.test(url) || !title) { show(form.querySelector(".result"), { reply: "链接需要标题和以 http(s):// 开头的网址", refused: true }); return; }
      attachments.push({ msgtype: "link", link: { title, url } });
      draw();
    });
    row.querySelector(".step-image").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      const data = await uploadImage(file);
      show(form.querySelector(".result"), data);
      if (!data.refused) { attachments.push({ msgtype: "image", image: { media_ref: data.ref } }); draw(); }
      event.target.value = "";
    });
    draw();
    if (step) {
      row.querySelector('[name="days"]').value = step.days;
      row.querySelector('[name="at"]').value = step.at;
      row.querySelector('[name="hours"]').value = step.hours;
      row.querySelector('[name="minutes"]').value = step.minutes;
      row.querySelector('[name="delivery"]').value = step.delivery;
      row.querySelector('[name="text"]').value = step.text;
    }
    row.querySelector(".remove-step").addEventListener("click", () => row.remove());
    steps.append(row);
  }

  function load(rule) {
    form.reset();
    steps.textContent = "";
    field("id").value = rule ? rule.id : "";
    document.getElementById("builder-title").textContent = rule ? "编辑 SOP " + rule.id : "新建 SOP";
    if (!rule) { addStep(null); return; }
    ["name", "kind", "trigger", "tag", "segment", "quiet_start", "quiet_end"].forEach((name) => { field(name).value = rule[name] || ""; });
    ["channels", "staff", "departments", "tags", "groups"].forEach((name) => { field(name).value = (rule[name] || []).join(" "); });
    field("enabled").checked = rule.enabled;
    const schedule = rule.schedule || { time: "10:00", weekdays: [], dates: [] };
    field("schedule_time").value = schedule.time;
    field("schedule_dates").value = schedule.dates.join(" ");
    form.querySelectorAll('[name="weekday"]').forEach((box) => { box.checked = schedule.weekdays.includes(Number(box.value)); });
    rule.steps.forEach(addStep);
    form.scrollIntoView();
  }

  function collect() {
    const trigger = field("trigger").value;
    return {
      ...(field("id").value ? { id: field("id").value } : {}),
      name: field("name").value.trim(),
      kind: field("kind").value,
      trigger,
      channels: words(field("channels").value),
      tag: field("tag").value.trim(),
      segment: field("segment").value.trim(),
      schedule: trigger === "schedule" ? {
        time: field("schedule_time").value,
        weekdays: [...form.querySelectorAll('[name="weekday"]:checked')].map((box) => Number(box.value)),
        dates: words(field("schedule_dates").value),
      } : null,
      staff: words(field("staff").value),
      departments: words(field("departments").value).map(Number),
      tags: words(field("tags").value),
      groups: words(field("groups").value),
      quiet_start: field("quiet_start").value,
      quiet_end: field("quiet_end").value,
      enabled: field("enabled").checked,
      steps: [...steps.children].map((row) => ({
        days: number(row.querySelector('[name="days"]').value),
        at: row.querySelector('[name="at"]').value,
        hours: number(row.querySelector('[name="hours"]').value),
        minutes: number(row.querySelector('[name="minutes"]').value),
        delivery: row.querySelector('[name="delivery"]').value,
        text: row.querySelector('[name="text"]').value,
        attachments: JSON.parse(row.dataset.attachments || "[]"),
      })),
    };
  }

  document.getElementById("add-step").addEventListener("click", () => addStep(null));
  document.getElementById("new-sop").addEventListener("click", () => load(null));
  document.querySelectorAll("button.edit-sop").forEach((button) => {
    button.addEventListener("click", () => load(JSON.parse(button.dataset.rule)));
  });
  document.querySelectorAll("button.delete-sop").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("删除 SOP「" + button.dataset.name + "」？未发出的步骤将不再发送。")) return;
      const data = await post("api/sops/delete", { id: button.dataset.id });
      show(document.getElementById("sop-list-result"), data);
      if (!data.refused) setTimeout(() => location.reload(), 1200);
    });
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const data = await post("api/sops/save", { rule: collect() });
    show(form.querySelector(".result"), data);
    button.disabled = false;
    if (!data.refused) setTimeout(() => location.reload(), 1200);
  });
  load(null);
})();
