// The store-code landing page: the nearest store's code, else the backup and the stores by city.
"use strict";
(function () {
  const main = document.getElementById("landing");
  const id = main.dataset.id;
  const status = document.getElementById("status");

  function showCode(item, title) {
    document.getElementById("code-title").textContent = title;
    const where = [item.city, item.address].filter(Boolean).join(" · ");
    const distance = item.distance_m !== undefined ? "（距您约 " + kilometres(item.distance_m) + "）" : "";
    document.getElementById("code-where").textContent = where + distance;
    const image = document.getElementById("code-image");
    image.src = item.qr;
    image.alt = title + "的二维码";
    document.getElementById("code-hint").textContent = item.hint;
    document.getElementById("code").hidden = false;
  }

  function kilometres(metres) {
    return metres < 1000 ? metres + " 米" : (metres / 1000).toFixed(1) + " 公里";
  }

  async function getJson(path) {
    const answer = await fetch(path, { credentials: "omit" });
    if (!answer.ok) throw new Error(await answer.text());
    return answer.json();
  }

  function listCities(cities) {
    const box = document.getElementById("city-list");
    box.textContent = "";
    cities.forEach((entry) => {
      const city = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = entry.city + "（" + entry.stores.length + " 家）";
      city.append(summary);
      const list = document.createElement("ul");
      entry.stores.forEach((store) => {
        const row = document.createElement("li");
        const pick = document.createElement("button");
        pick.type = "button";
        pick.textContent = store.name;
        pick.addEventListener("click", () => { showCode(store, store.name); window.scrollTo(0, 0); });
        const address = document.createElement("small");
        address.textContent = store.address;
        row.append(pick, address);
        list.append(row);
      });
      city.append(list);
      box.append(city);
    });
    document.getElementById("cities").hidden = cities.length === 0;
  }

  async function withoutPosition(reason) {
    status.textContent = reason + "先为您显示活动二维码；也可在下方选择您附近的门店。";
    try {
      const data = await getJson(id + "/stores");
      showCode(data.backup, data.backup.name);
      listCities(data.cities);
    } catch (error) {
      status.textContent = "暂时无法加载门店，请稍后刷新。";
    }
  }

  async function withPosition(position) {
    const { latitude, longitude } = position.coords;
    try {
      const data = await getJson(id + "/near?lat=" + latitude.toFixed(6) + "&lng=" + longitude.toFixed(6));
      if (data.store) {
        status.textContent = "离您最近的门店：";
        showCode(data.store, data.store.name);
      } else {
        const far = data.nearest_m !== undefined ? "（最近的一家距您约 " + kilometres(data.nearest_m) + "）" : "";
        status.textContent = "您附近 " + kilometres(data.radius_m) + "内没有门店" + far + "。请扫描活动二维码：";
        showCode(data.backup, data.backup.name);
      }
    } catch (error) {
      withoutPosition("暂时无法查找附近门店。");
    }
  }

  if (!navigator.geolocation) {
    withoutPosition("您的浏览器无法获取位置。");
    return;
  }
  navigator.geolocation.getCurrentPosition(
    withPosition,
    (error) => withoutPosition(error.code === 1 ? "您没有允许获取位置。" : "暂时无法获取您的位置。"),
    { enableHighAccuracy: false, timeout: 8000, maximumAge: 600000 }
  );
})();
