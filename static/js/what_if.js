/* /me/: "what if I sell X more this month?" — the commission on the month's sales plus X, on the same
 * tiers as the engine (appraisals/scoring.py commission_amount), computed exactly.
 *
 * Every figure arrives as a decimal string (json_script #what-if-data) and is held as a BigInt of
 * millionths, so nothing is ever a binary fraction: the slices are summed exactly and rounded half up
 * to the cent once, as the engine does. The test suite types amounts here and compares the result
 * with the engine's commission for the same figures. */
(function () {
  "use strict";
  var source = document.getElementById("what-if-data");
  var form = document.getElementById("what-if");
  if (!source || !form || typeof BigInt === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var PLACES = 6;
  var ONE = BigInt("1000000"); // 10^PLACES

  /* "1234.5" → 1234500000n (millionths); null when the text is not a plain non-negative decimal. */
  function parse(text) {
    var match = /^(\d+)(?:\.(\d{0,6}))?$/.exec(text);
    if (!match) {
      return null;
    }
    var fraction = (match[2] || "").padEnd(PLACES, "0");
    return BigInt(match[1]) * ONE + BigInt(fraction);
  }

  /* What a person types: digits with the page's thousand separators (or spaces) and decimal separator. */
  function parseTyped(text) {
    var cleaned = text.trim().split(data.thousand_separator).join("").replace(/\s/g, "");
    if (data.decimal_separator !== ".") {
      cleaned = cleaned.split(data.decimal_separator).join(".");
    }
    if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) {
      return null;
    }
    return parse(cleaned);
  }

  function min(a, b) {
    return a < b ? a : b;
  }

  /* Σ portion × rate in millionths × millionths × millionths (scale 10^18) for tiers, 10^12 flat. */
  function commissionCents(actual) {
    if (actual <= BigInt(0)) {
      return BigInt(0);
    }
    var target = data.target === null ? null : parse(data.target);
    if (target === null || target <= BigInt(0)) {
      var flat = actual * parse(data.flat_rate); // scale 10^12
      return roundHalfUpToCents(flat, 12);
    }
    var scaledActual = actual * ONE; // scale 10^12, the unit of a ceiling (target × multiple)
    var floor = BigInt(0);
    var amount = BigInt(0); // scale 10^18
    for (var i = 0; i < data.tiers.length; i++) {
      var multiple = data.tiers[i][0];
      var rate = parse(data.tiers[i][1]);
      var ceiling = multiple === null ? null : target * parse(multiple);
      var portion = (ceiling === null ? scaledActual : min(scaledActual, ceiling)) - floor;
      if (portion > BigInt(0)) {
        amount += portion * rate;
      }
      if (ceiling === null) {
        break;
      }
      floor = ceiling;
    }
    return roundHalfUpToCents(amount, 18);
  }

  /* A non-negative amount at scale 10^places rounded half up to whole cents. */
  function roundHalfUpToCents(amount, places) {
    var divisor = BigInt(10) ** BigInt(places - 2);
    return (amount + divisor / BigInt(2)) / divisor;
  }

  /* 1234567n cents → "12,345.67" with the page's separators. */
  function formatCents(cents) {
    var negative = cents < BigInt(0);
    var text = (negative ? -cents : cents).toString().padStart(3, "0");
    var whole = text.slice(0, -2);
    var grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, data.thousand_separator);
    return (negative ? "-" : "") + grouped + data.decimal_separator + text.slice(-2);
  }

  var input = document.getElementById("what-if-amount");
  var parts = {};
  form.querySelectorAll("[data-what-if]").forEach(function (element) {
    parts[element.getAttribute("data-what-if")] = element;
  });
  var actual = parse(data.actual);
  var now = commissionCents(actual);

  function show(name) {
    Object.keys(parts).forEach(function (key) {
      parts[key].hidden = key !== name;
    });
  }

  function update() {
    if (!input.value.trim()) {
      show("empty");
      return;
    }
    var extra = parseTyped(input.value);
    if (extra === null) {
      show("invalid");
      return;
    }
    var cents = commissionCents(actual + extra);
    form.querySelector("[data-testid=what-if-commission]").textContent = formatCents(cents);
    form.querySelector("[data-testid=what-if-gain]").textContent = formatCents(cents - now);
    show("answer");
  }

  input.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
})();
