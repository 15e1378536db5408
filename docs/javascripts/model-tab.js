/* A link to a setting page's model tab (settings/guidance-scale/#model-z-image-turbo, from a model page) opens
 * that tab: the anchor sits inside the tab's block, so its radio input is the block's position among its
 * siblings. Without the script the link still lands on the page. Runs on every page Material loads. */
(function () {
  "use strict";

  function openTabOf(anchorId) {
    var anchor = anchorId && document.getElementById(anchorId);
    var block = anchor && anchor.closest(".tabbed-block");
    if (!block) return;
    var set = block.closest(".tabbed-set");
    var blocks = Array.prototype.slice.call(block.parentElement.children);
    var inputs = set.querySelectorAll(":scope > input");
    var input = inputs[blocks.indexOf(block)];
    if (input && !input.checked) {
      input.click(); // Material's own handler syncs the linked tabs of the other comparisons
    }
    set.scrollIntoView();
  }

  function fromLocation() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (hash.indexOf("model-") === 0) openTabOf(hash);
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(fromLocation);
  } else {
    document.addEventListener("DOMContentLoaded", fromLocation);
  }
  window.addEventListener("hashchange", fromLocation);
})();
