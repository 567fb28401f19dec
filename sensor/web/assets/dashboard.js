// The live page: one card per band, kept up to date from the server's WebSocket.
(function () {
  "use strict";
  var COLOURS = JSON.parse(document.getElementById("colours").textContent);
  // The cadence chart shows this many minutes.
  var CHART_MINUTES = 5;
  var COUNTERS = [
    ["steps_backward", "backward steps"], ["steps_forward", "forward steps"],
    ["jumps", "jumps"], ["revolutions_backward", "backward revolutions"],
    ["revolutions_forward", "forward revolutions"], ["pedal_reversals", "reversals"]
  ];
  var bands = {};
  var main = document.getElementById("bands");
  var link = document.getElementById("link");

  function colour(direction) {
    return COLOURS.direction[direction] || COLOURS.direction.unknown;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmt(v, digits, unit) {
    return v === null || v === undefined ? "—" : Number(v).toFixed(digits) + (unit || "");
  }

  function describe(ev) {
    var d = ev.direction || "";
    switch (ev.type) {
      case "step": return "step " + d;
      case "jump": return "jump " + d + ", " + fmt(ev.height_m * 100, 0, " cm") +
        ", landing " + fmt(ev.landing_peak_g, 1, " g");
      case "revolution": return "revolution " + d + ", " + fmt(ev.cadence_rpm, 0, " rpm");
      case "pedal_reversal": return "pedal reversal " + ev.from + " → " + ev.to;
      case "walk_bout": return "walking bout " + d + ": " + ev.steps + " steps";
      case "pedal_bout": return "pedalling bout: " + ev.revolutions_backward + " backward, " +
        ev.revolutions_forward + " forward";
      case "cue": return "coach: " + ev.text;
      default: return ev.type + " " + d;
    }
  }

  function card(id) {
    if (bands[id]) return bands[id];
    var empty = document.getElementById("empty");
    if (empty) empty.remove();
    var root = el("section", { "class": "band", "data-band": id });
    var h = el("h2");
    var name = el("span", { "data-key": "name" }, id);
    var status = el("span", { "class": "badge", "data-key": "status" }, "?");
    var battery = el("span", { "class": "badge", "data-key": "battery" }, "battery —");
    h.append(name, status, battery);
    var meta = el("div", { "class": "meta", "data-key": "meta" }, "");
    var activity = el("div", { "class": "activity", "data-key": "activity" }, "—");
    // The interval program followed (hidden without one) and its latest cue.
    var program = el("div", { "class": "program", "data-key": "program", "hidden": "" }, "");
    var cue = el("div", { "class": "cue", "data-key": "cue", "hidden": "" }, "");
    var counters = el("dl", { "class": "counters" });
    var values = {};
    COUNTERS.forEach(function (c) {
      var box = el("div");
      box.append(el("dt", {}, c[1]));
      values[c[0]] = el("dd", { "data-key": c[0] }, "0");
      box.append(values[c[0]]);
      counters.append(box);
    });
    var hr = el("div", { "class": "hr", "data-key": "hr" }, "♥ —");
    var chart = el("div", { "class": "chart", "data-key": "chart" });
    var events = el("ol", { "class": "events", "data-key": "events" });
    root.append(h, meta, activity, program, cue, counters, hr, chart, el("div", { "class": "meta" }, "last events"), events);
    main.append(root);
    var b = {
      id: id, root: root, name: name, status: status, battery: battery, meta: meta,
      activity: activity, program: program, cue: cue, values: values, hr: hr, chart: chart,
      events: events,
      history: [], drawn: 0, timer: null
    };
    bands[id] = b;
    Plotly.newPlot(chart, [], chartLayout(), { displayModeBar: false, responsive: true });
    return b;
  }

  function chartLayout() {
    return {
      margin: { l: 40, r: 40, t: 8, b: 28 }, height: 190, showlegend: true,
      legend: { orientation: "h", y: 1.15, x: 0, font: { size: 11 } },
      xaxis: { type: "date", tickformat: "%H:%M" },
      yaxis: { title: { text: "cadence" }, rangemode: "tozero" },
      yaxis2: { title: { text: "bpm" }, overlaying: "y", side: "right", showgrid: false }
    };
  }

  function setStatus(b, status) {
    b.status.textContent = status || "?";
    b.status.className = "badge " + (status || "");
  }

  function setActivity(b, activity, direction) {
    b.activity.textContent = activity + (direction ? " " + direction : "");
    b.activity.style.color = direction ? colour(direction) : "";
  }

  function setState(b, s) {
    COUNTERS.forEach(function (c) {
      if (s[c[0]] !== undefined && s[c[0]] !== null) b.values[c[0]].textContent = String(s[c[0]]);
    });
    b.hr.textContent = "♥ " + fmt(s.hr_bpm, 0, " bpm");
    setProgram(b, s.program);
    if (s.battery_pct !== undefined && s.battery_pct !== null) setBattery(b, s.battery_pct);
  }

  // "Retro sampler · 2/4 rest · 0:12 left": where the wearer is in the program.
  function setProgram(b, p) {
    if (!p) { b.program.hidden = true; return; }
    var where = p.interval + "/" + p.intervals + " " + p.title;
    var left = p.status === "finished" ? "done" : p.status === "waiting" ? "start when ready" :
      p.time_left_s !== null ? Math.floor(p.time_left_s / 60) + ":" +
        String(Math.round(p.time_left_s % 60)).padStart(2, "0") + " left" :
      p.reps_left + " to go";
    b.program.textContent = [p.program, where, left].join(" · ");
    b.program.hidden = false;
  }

  function setCue(b, c) {
    b.cue.textContent = c.text;
    b.cue.setAttribute("data-kind", c.kind);
    b.cue.hidden = false;
  }

  function setBattery(b, pct) {
    b.battery.textContent = "battery " + fmt(pct, 0, " %");
  }

  function addEvent(b, ev) {
    var li = el("li", { "data-type": ev.type });
    var when = ev.time ? new Date(ev.time) : new Date();
    li.append(el("time", {}, when.toLocaleTimeString()));
    var dot = el("span", { "class": "dot" });
    dot.style.background = colour(ev.type === "pedal_reversal" ? ev.to : ev.direction);
    li.append(dot, document.createTextNode(describe(ev)));
    b.events.prepend(li);
    while (b.events.children.length > 20) b.events.lastChild.remove();
  }

  // The browser's own clock on a UTC date axis: shift by the time zone.
  function local(ms) { return ms - new Date(ms).getTimezoneOffset() * 60000; }

  function drawChart(b) {
    b.timer = null;
    var since = Date.now() - CHART_MINUTES * 60000;
    var pts = b.history.filter(function (p) { return p[0] >= since; });
    var x = pts.map(function (p) { return local(p[0]); });
    // Each cadence in its direction's colour (steps solid, crank dashed), as everywhere.
    var traces = [];
    [[1, 4, "steps/min", "solid"], [2, 5, "rpm", "dash"]].forEach(function (m) {
      ["backward", "forward", "unknown"].forEach(function (d) {
        var y = pts.map(function (p) { return p[m[1]] === d ? p[m[0]] : null; });
        if (!y.some(function (v) { return v !== null && v > 0; })) return;
        traces.push({ name: m[2] + " " + d, x: x, y: y, mode: "lines",
          line: { color: colour(d), width: 2, dash: m[3] } });
      });
    });
    if (pts.some(function (p) { return p[3] !== null; })) {
      traces.push({ name: "bpm", x: x, y: pts.map(function (p) { return p[3]; }), mode: "lines",
        yaxis: "y2", line: { color: COLOURS.heart, width: 1.5, dash: "dot" } });
    }
    Plotly.react(b.chart, traces, chartLayout(), { displayModeBar: false, responsive: true });
  }

  function scheduleChart(b) {
    if (b.timer === null) b.timer = setTimeout(function () { drawChart(b); }, 1000);
  }

  function setDevice(b, device) {
    if (!device) return;
    b.name.textContent = device.name || b.id;
    b.meta.textContent = [device.placement, device.model, device.manufacturer]
      .filter(Boolean).join(" · ");
  }

  function load(view) {
    var b = card(view.band);
    setStatus(b, view.status);
    setDevice(b, view.device);
    if (view.battery_pct !== null) setBattery(b, view.battery_pct);
    if (view.state) setState(b, view.state);
    setActivity(b, view.activity, view.direction);
    b.events.textContent = "";
    view.events.slice().reverse().forEach(function (ev) { addEvent(b, ev); });
    b.history = view.history;
    drawChart(b);
  }

  function handle(msg) {
    if (msg.kind === "snapshot") {
      Object.keys(msg.bands).forEach(function (id) { load(msg.bands[id]); });
      return;
    }
    if (!msg.band) return;
    var b = card(msg.band);
    if (msg.kind === "state") {
      setState(b, msg.state);
      setActivity(b, msg.activity, msg.direction);
      b.history.push(msg.point);
      scheduleChart(b);
    } else if (msg.kind === "event") {
      addEvent(b, msg.event);
    } else if (msg.kind === "cue") {
      setCue(b, msg.cue);
      addEvent(b, msg.cue);
    } else if (msg.kind === "status") {
      setStatus(b, msg.status);
      if (msg.status === "offline") setActivity(b, "offline", null);
    } else if (msg.kind === "device") {
      setDevice(b, msg.device);
    } else if (msg.kind === "battery") {
      setBattery(b, msg.battery.battery_pct);
    }
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = function () { link.textContent = "live"; link.className = "badge online"; };
    ws.onmessage = function (m) { handle(JSON.parse(m.data)); };
    ws.onclose = function () {
      link.textContent = "reconnecting…"; link.className = "badge offline";
      setTimeout(connect, 2000);
    };
  }
  connect();
})();
