# The events dashboard (product-spec §7): the page's sources and the uPlot chart library (pinned
# in package.json) are embedded in kt_observe at build time; src/observe/dashboard/page.h
# declares them. The page makes no external requests: everything it needs is in the binary.
include(${CMAKE_SOURCE_DIR}/cmake/embed.cmake)
kt_embed(kt_observe OUTPUT dashboard_assets.cpp NAMESPACE kt::observe::dashboard
  FILES
    kPageHtml=src/observe/dashboard/page.html
    kPageCss=src/observe/dashboard/page.css
    kPageJs=src/observe/dashboard/page.js
    kUplotJs=node_modules/uplot/dist/uPlot.iife.min.js
    kUplotCss=node_modules/uplot/dist/uPlot.min.css)
