/* Sweep scrubbers: a slider that steps through one model's sweep images, showing each value's
 * difference to the reference and its seconds. Progressive enhancement: the page lists every
 * point as a link (.sg-scrubber-points); this script turns that list into the slider. No outside
 * requests, no framework. Runs on every page Material's instant navigation loads (document$). */
(function () {
  "use strict";

  function pointsOf(root) {
    return Array.from(root.querySelectorAll("li.sg-scrubber-point")).map(function (item) {
      var data = item.dataset;
      var image = item.querySelector("a").href; // resolved by the browser, whichever builder wrote it
      // The smaller copies are named relative to the image: they live in its folder.
      var srcset = (data.sgSrcset || "").split(",").filter(Boolean).map(function (part) {
        var pieces = part.trim().split(/\s+/);
        return new URL(pieces[0], image).href + " " + pieces[1];
      }).join(", ");
      return {
        image: image,
        srcset: srcset,
        width: data.sgWidth,
        height: data.sgHeight,
        caption: data.sgCaption,
        difference: data.sgDifference,
        seconds: data.sgSeconds,
      };
    });
  }

  function describe(point) {
    var text = point.caption + ": difference to the reference " + point.difference;
    return point.seconds ? text + ", " + point.seconds + " s" : text;
  }

  function setUp(root) {
    if (root.dataset.sgReady) return;
    var points = pointsOf(root);
    if (points.length < 2) return;
    root.dataset.sgReady = "true";
    var start = Math.min(Math.max(Number(root.dataset.sgStart) || 0, 0), points.length - 1);

    var figure = document.createElement("figure");
    figure.className = "sg-scrubber-view";
    var image = document.createElement("img");
    image.className = "sg-no-zoom";
    image.decoding = "async";
    image.loading = "lazy"; // a scrubber in a hidden tab loads nothing until its tab opens
    image.sizes = "(max-width: 44.9375em) 90vw, 20rem";
    var caption = document.createElement("figcaption");
    var output = document.createElement("output");
    output.setAttribute("aria-live", "polite");
    caption.appendChild(output);
    figure.appendChild(image);
    figure.appendChild(caption);

    var slider = document.createElement("input");
    slider.type = "range";
    slider.className = "sg-scrubber-slider";
    slider.min = "0";
    slider.max = String(points.length - 1);
    slider.step = "1";
    slider.value = String(start);
    slider.setAttribute("aria-label", root.dataset.sgLabel || "Step through the sweep's images");

    function show(index) {
      var point = points[index];
      image.removeAttribute("srcset");
      if (point.srcset) image.srcset = point.srcset;
      image.src = point.image;
      if (point.width) image.width = Number(point.width);
      if (point.height) image.height = Number(point.height);
      image.alt = point.caption;
      var text = describe(point);
      output.textContent = text;
      slider.setAttribute("aria-valuetext", text);
    }

    slider.addEventListener("input", function () {
      show(Number(slider.value));
    });
    var list = root.querySelector(".sg-scrubber-points");
    root.insertBefore(slider, list);
    root.insertBefore(figure, slider);
    list.hidden = true;
    root.classList.add("sg-scrubber--ready");
    show(start);
  }

  function setUpAll() {
    document.querySelectorAll(".sg-scrubber").forEach(setUp);
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(setUpAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
