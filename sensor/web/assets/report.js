// The session report's charts: Plotly draws each figure embedded as JSON in the page; the
// signal chart is filled here from the packed samples and re-decimated to the screen on zoom.
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("report-figures").textContent);
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var config = { responsive: true, displaylogo: false, scrollZoom: false };
  // Two points (a column's minimum and maximum) per this many CSS pixels of chart width.
  var PX_PER_BUCKET = 1;

  function bytes(b64) {
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // Sample times (ms) and |a| (g) from the packed form (see sensor/web/report.py).
  function unpack(sig) {
    var n = sig.n;
    var t = new Float64Array(n);
    var mag = new Float32Array(n);
    if (!n) return { t: t, mag: mag, period: 10 };
    var steps = bytes(sig.dt);
    var raw = bytes(sig.mag);
    var view = new DataView(raw.buffer);
    var long = sig["long"], k = 0, at = sig.t0_ms;
    t[0] = at;
    for (var i = 1; i < n; i++) {
      var d = steps[i - 1];
      if (d === 255) d = long[k++];
      at += d;
      t[i] = at;
    }
    for (var j = 0; j < n; j++) mag[j] = view.getUint16(2 * j, true) * sig.scale_g;
    return { t: t, mag: mag, period: 1000 / (sig.rate_hz || 100) };
  }

  // A date axis's range end as ms: Plotly gives "2000-01-01 00:00:10.5" (UTC, no zone).
  function toMs(v) {
    return typeof v === "string" ? Date.parse(v.replace(" ", "T") + "Z") : v;
  }

  function lowerBound(a, x) {
    var lo = 0, hi = a.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // The samples within [x0, x1]: all of them when few, else each bucket's min and max in
  // time order, so that every peak stays visible. A gap in the samples breaks the line.
  function decimate(s, x0, x1, buckets) {
    var i0 = Math.max(0, lowerBound(s.t, x0) - 1);
    var i1 = Math.min(s.t.length, lowerBound(s.t, x1) + 1);
    var xs = [], ys = [], gap = 1.5 * s.period;
    if (i1 - i0 <= 2 * buckets) {
      for (var i = i0; i < i1; i++) {
        if (i > i0 && s.t[i] - s.t[i - 1] > gap) { xs.push(null); ys.push(null); }
        xs.push(s.t[i]); ys.push(s.mag[i]);
      }
      return { x: xs, y: ys };
    }
    var width = (s.t[i1 - 1] - s.t[i0]) / buckets;
    var b = i0;
    while (b < i1) {
      var end = s.t[b] + width, lo = b, hi = b;
      var j = b;
      while (j < i1 && s.t[j] < end) {
        if (s.mag[j] < s.mag[lo]) lo = j;
        if (s.mag[j] > s.mag[hi]) hi = j;
        j++;
      }
      if (j === b) j = b + 1;
      var first = Math.min(lo, hi), second = Math.max(lo, hi);
      xs.push(s.t[first]); ys.push(s.mag[first]);
      if (second !== first) { xs.push(s.t[second]); ys.push(s.mag[second]); }
      b = j;
    }
    return { x: xs, y: ys };
  }

  // One trace per event type and direction, drawn as a comb: a tick up across the type's
  // lane at each event's time, and back, joined along the lane's bottom edge — one SVG path
  // however many events (a path per tick is what makes a long session slow to draw). Each
  // event is three points: (t, bottom), (t, top), (t, bottom).
  function markerTraces(markers, colours, lanes) {
    var traces = [];
    lanes.forEach(function (kind, lane) {
      var byDirection = markers[kind] || {};
      var first = Infinity, last = -Infinity;
      Object.keys(byDirection).forEach(function (direction) {
        var ts = byDirection[direction];
        var x = new Array(3 * ts.length), y = new Array(3 * ts.length);
        for (var i = 0; i < ts.length; i++) {
          x[3 * i] = x[3 * i + 1] = x[3 * i + 2] = ts[i];
          y[3 * i] = y[3 * i + 2] = lane - 0.35; y[3 * i + 1] = lane + 0.35;
          first = Math.min(first, ts[i]); last = Math.max(last, ts[i]);
        }
        var label = kind.replace("_", " ") + (direction ? " " + direction : "");
        traces.push({
          type: "scatter", mode: "lines", name: label, x: x, y: y, yaxis: "y2",
          line: { color: colours[direction] || colours.unknown, width: 1.5 },
          hovertemplate: label + " at %{x|%H:%M:%S.%L}<extra></extra>",
          meta: { marker_type: kind, direction: direction, count: ts.length }
        });
      });
      if (first <= last) {
        // The lane's own baseline over the combs' joins, in one colour.
        traces.push({
          type: "scatter", mode: "lines", x: [first, last], y: [lane - 0.35, lane - 0.35],
          yaxis: "y2", line: { color: "#bbbbbb", width: 2 }, hoverinfo: "skip",
          showlegend: false
        });
      }
    });
    return traces;
  }

  function drawSignal(prefix, fig) {
    var el = document.getElementById(prefix + "-signal");
    var d = data[prefix];
    var s = unpack(d.signal);
    var lanes = fig.layout.meta.lanes;
    var buckets = function () { return Math.max(200, Math.floor(el.clientWidth / PX_PER_BUCKET)); };
    var full = fig.layout.xaxis.range.slice();
    var first = decimate(s, full[0], full[1], buckets());
    var traces = [{
      type: "scatter", mode: "lines", name: "|a| (g)", x: first.x, y: first.y,
      line: { color: "#444", width: 1 }, hoverinfo: "x+y", meta: { signal: true, samples: s.t.length }
    }].concat(markerTraces(d.markers, d.colours, lanes));
    var shown = full.slice();
    return Plotly.newPlot(el, traces, fig.layout, config).then(function () {
      el.on("plotly_relayout", function (ev) {
        var layout = el.layout;
        if (ev["xaxis.autorange"]) {
          // Zoomed out: back to the whole session, not the range of what is drawn now.
          layout = Object.assign({}, layout, {
            xaxis: Object.assign({}, layout.xaxis, { range: full.slice(), autorange: false })
          });
        }
        var range = layout.xaxis.range.map(toMs);
        if (range[0] === shown[0] && range[1] === shown[1] && !ev.autosize) return;
        shown = range;
        var view = decimate(s, range[0], range[1], buckets());
        var next = el.data.slice();
        next[0] = Object.assign({}, next[0], { x: view.x, y: view.y });
        // Plotly.react rather than restyle: restyle warns about the date axis's tickformat.
        Plotly.react(el, next, layout, config);
      });
    });
  }

  var pending = [];
  Object.keys(figures).forEach(function (id) {
    var fig = figures[id];
    if (/-signal$/.test(id)) {
      pending.push(drawSignal(id.replace(/-signal$/, ""), fig));
    } else {
      pending.push(Plotly.newPlot(document.getElementById(id), fig.data, fig.layout, config));
    }
  });
  Promise.all(pending).then(function () {
    document.body.setAttribute("data-ready", "true");
  }, function (err) {
    console.error("report: a chart failed to draw: " + err);
  });
})();
