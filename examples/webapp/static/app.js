// Focus management for the error summary and the confirmation, as screen-reader and keyboard
// users need it. The pages work without this file: the summary carries autofocus as well.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  var target = document.querySelector('[data-error-summary]') || document.querySelector('[data-focus-on-load]');
  if (target && document.activeElement !== target) {
    target.focus();
  }
  var summary = document.querySelector('[data-error-summary]');
  if (!summary) {
    return;
  }
  // A summary link moves the focus to its input (a fragment link only scrolls).
  summary.addEventListener('click', function (event) {
    var link = event.target.closest('a[href^="#"]');
    if (!link) {
      return;
    }
    var input = document.getElementById(link.getAttribute('href').slice(1));
    if (input) {
      event.preventDefault();
      input.focus();
      input.scrollIntoView({ block: 'center' });
    }
  });
});
