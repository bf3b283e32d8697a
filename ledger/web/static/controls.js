// The only script of the web view, and an optional one: picking an as-of date shows that date
// at once, as pressing "Show" would. Pages work the same without it.
document.addEventListener("DOMContentLoaded", function () {
  var asOf = document.getElementById("as_of");
  if (asOf && asOf.form) {
    asOf.addEventListener("change", function () {
      if (asOf.value) { asOf.form.submit(); }
    });
  }
});
