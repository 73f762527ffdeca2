/* Loaded before RequireJS and the Jupyter widgets bundle, on pages with saved widget state
 * (`nb_ipywidgets_js` in _config.yml). Two fixes for rendering ipywidgets 8 on a static page:
 *
 * 1. The bundle (vendor/jupyter-widgets-html-manager/embed-amd.js) finds its icon fonts next to the
 *    URL that RequireJS gives each of its modules. Map those modules to the folder holding the fonts
 *    (otherwise the browser asks for e.g. book/@jupyter-widgets/<hash>.woff2 and gets a 404).
 * 2. ipywidgets typesets widget labels with the MathJax 2 call `MathJax.Hub.Queue(["Typeset", ...])`;
 *    the book loads MathJax 3, which has no `Hub`. Provide that call on top of MathJax 3. */
(function () {
  "use strict";
  var dir = new URL("vendor/jupyter-widgets-html-manager/", document.currentScript.src).href;
  var paths = { "@jupyter-widgets/html-manager/dist": dir.slice(0, -1) };
  ["base", "base7", "controls", "controls7", "html-manager"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = dir + name;
  });
  window.require = { paths: paths };  // RequireJS reads this object as its configuration when it loads

  var pending = [];
  function typeset(element) {
    var mj = window.MathJax;
    if (mj && typeof mj.typesetPromise === "function" && mj.startup && mj.startup.promise) {
      mj.startup.promise
        .then(function () { return mj.typesetPromise(element ? [element] : undefined); })
        .catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
    } else {
      pending.push(element);  // MathJax 3 not started yet: typeset once it is
    }
  }
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") { typeset(job[2]); }
      }
    }
  };
  var config = window.MathJax = window.MathJax || {};  // Sphinx's MathJax 3 configuration object
  config.Hub = hub;
  config.startup = config.startup || {};
  var ready = config.startup.ready;
  config.startup.ready = function () {
    if (ready) { ready(); } else { window.MathJax.startup.defaultReady(); }
    window.MathJax.Hub = hub;
    pending.splice(0).forEach(typeset);
  };
})();
