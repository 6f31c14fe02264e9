/* huizhen 会诊 — the little JavaScript the pages use: live updates (SSE), the 会诊表 preview, the replay slider.
   Served from the package itself; nothing is fetched from elsewhere. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function clock() {  /* Beijing time, like every time on the pages */
    try {
      return new Date().toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
    } catch (e) {
      return new Date().toISOString().slice(11, 19) + " UTC";
    }
  }

  /* One EventSource per page: the server says "something changed" (the event log grew); the page asks again. */
  function listen(onChange, status) {
    if (!window.EventSource) { return; }
    var source = new EventSource("/events/stream");
    source.addEventListener("hello", function () { if (status) { status("connected"); } });
    source.addEventListener("change", function (e) { if (status) { status("connected"); } onChange(e.data); });
    source.onerror = function () { if (status) { status("reconnecting"); } };
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  /* --- the dashboard ------------------------------------------------------------------------------------- */
  function dashboard() {
    var board = document.getElementById("board");
    var live = document.getElementById("live-status");
    if (!board) { return; }
    var busy = false, again = false;
    function setStatus(state, text) {
      if (!live) { return; }
      live.setAttribute("data-state", state);
      live.textContent = text;
    }
    function versions() {
      var seen = {};
      board.querySelectorAll("tr[data-case]").forEach(function (tr) {
        seen[tr.getAttribute("data-case")] = tr.getAttribute("data-version");
      });
      return seen;
    }
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      var before = versions();
      var query = board.getAttribute("data-query") || "";
      fetch("/dashboard/rows" + (query ? "?" + query : ""), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          board.innerHTML = html;
          board.querySelectorAll("tr[data-case]").forEach(function (tr) {
            var id = tr.getAttribute("data-case");
            if (before[id] !== tr.getAttribute("data-version")) { tr.classList.add("flash"); }
          });
          setStatus("updated", "实时更新：已更新 " + clock());
        })
        .catch(function () { setStatus("error", "实时更新：刷新失败，稍后重试"); })
        .then(function () { busy = false; if (again) { again = false; refresh(); } });
    }
    listen(refresh, function (state) {
      if (state === "connected" && live && live.getAttribute("data-state") === "connecting") {
        setStatus("connected", "实时更新：已连接");
      } else if (state === "reconnecting") {
        setStatus("reconnecting", "实时更新：连接中断，正在重连…");
      }
    });
  }

  /* --- the case page: tell the reader when the case changed under them ----------------------------------- */
  function casePage() {
    var head = document.querySelector("[data-page=case] #top[data-case]");
    var notice = document.getElementById("stale-notice");
    if (!head || !notice) { return; }
    var number = head.getAttribute("data-case"), version = head.getAttribute("data-version");
    listen(function () {
      fetch("/cases/" + encodeURIComponent(number) + "/version", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && String(data.version) !== String(version)) { notice.classList.remove("hidden"); }
        })
        .catch(function () { /* the next change tries again */ });
    });
  }

  /* --- the 会诊表: conclusions previewed by the rules as boxes are ticked ---------------------------------- */
  function opinionPreview() {
    var form = document.getElementById("opinion-form");
    if (!form) { return; }
    var LABELS = { yes: "是", no: "否", uncertain: "不确定" };
    var NAMES = {
      standard_noncompliance: "标准符合性问题", nonstandard_danger: "非标准符合性问题1",
      no_standard_danger: "非标准符合性问题2", injury_types: "伤害类型", severity: "严重程度",
      likelihood: "可能性", producer_cause: "生产者原因", universality: "普遍性",
      similar_recall: "同款召回", public_opinion_risk: "舆情"
    };
    function show(id, value) {
      var el = document.getElementById(id);
      var text = value === null || value === undefined ? "待填写" :
        (value === true ? "是" : value === false ? "否" : (LABELS[value] || value));
      el.textContent = text;
      el.setAttribute("data-value", value === null || value === undefined ? "" : String(value));
    }
    var error = document.getElementById("preview-error");
    var missing = document.getElementById("preview-missing");
    var update = debounce(function () {
      var body = new URLSearchParams(new FormData(form));
      fetch("/forms/preview", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrfToken() }
      }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (!res.ok) {
            error.textContent = (res.data.error && res.data.error.message) || "预览失败";
            error.classList.remove("hidden");
            return;
          }
          error.classList.add("hidden");
          show("preview-defect", res.data.defect);
          show("preview-investigate", res.data.investigate);
          show("preview-attention", res.data.attention);
          var left = (res.data.missing || []).filter(function (k) { return k !== "injury_types"; });
          missing.textContent = left.length ? "尚未填写：" + left.map(function (k) { return NAMES[k] || k; }).join("、") : "各项均已填写。";
        })
        .catch(function () { error.textContent = "预览暂不可用"; error.classList.remove("hidden"); });
    }, 120);
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  /* --- the replay slider --------------------------------------------------------------------------------- */
  function replaySlider() {
    var slider = document.getElementById("replay-slider");
    if (!slider) { return; }
    var instants = (slider.getAttribute("data-instants") || "").split(" ");
    var number = slider.getAttribute("data-case");
    var label = document.getElementById("replay-label");
    var target = document.getElementById("replay");
    var input = document.getElementById("replay-at");
    var load = debounce(function (at) {
      fetch("/audit/cases/" + encodeURIComponent(number) + "/replay?at=" + encodeURIComponent(at),
            { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { target.innerHTML = html; });
    }, 150);
    slider.addEventListener("input", function () {
      var at = instants[Number(slider.value)];
      if (!at) { return; }
      var row = document.querySelector('#history tr[data-seq="' + (Number(slider.value) + 1) + '"]');
      label.textContent = row ? row.children[1].textContent + " · #" + row.children[0].textContent + " " +
        row.children[3].childNodes[0].textContent.trim() : at;
      if (input) { input.value = beijingLocal(at); }
      load(at);
    });
  }

  /* --- issue 14: the replay's date-time picker shows Beijing time; previews load only when opened ---------- */
  function beijingLocal(iso) {
    var t = new Date(iso);
    if (isNaN(t.getTime())) { return ""; }
    return new Date(t.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19);
  }

  function previews() {
    var boxes = document.querySelectorAll("details.preview");
    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("toggle", function () {
        var frame = box.querySelector("[data-src]");
        if (box.open && frame && !frame.getAttribute("src")) { frame.setAttribute("src", frame.getAttribute("data-src")); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    previews();
    dashboard();
    casePage();
    opinionPreview();
    replaySlider();
  });
}());
