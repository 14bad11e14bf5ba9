/**
 * The self-contained HTML report: one file holding a run report (or several, compared), the uPlot chart library
 * and Salvo's page script, so it opens offline. The page's script and style are resources beside these classes
 * ({@code report.js}, {@code report.css}), shared with anything else that draws a run the same way.
 */
package io.salvo.report.html;
