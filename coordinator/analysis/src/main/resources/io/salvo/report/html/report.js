/*
 * Salvo's report page: draws one run report (schema_version 1, docs/metrics.md), or several side by side, from the
 * JSON block the page carries (id "salvo-report-data": {"title", "runs": [{"label", "report"}]}). Charts are uPlot,
 * inlined into the same file, so the page needs no network. What it shows is also left in window.salvoReport
 * (figures, chart series, markers) so that tests and scripts can read the page's numbers without parsing text.
 */
var SalvoReport = (function () {
    'use strict';

    var PALETTE = ['#2458c6', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0b7285', '#5c940d', '#862e9c',
        '#a61e4d', '#364fc7', '#d9480f', '#087f5b'];
    var MARKER_COLORS = {cold_start: '#d9480f', steady_state: '#2b8a3e', reslice: '#7048e8', takeover: '#c2255c',
        platform: '#e67700'};
    // unsent_timeout: requests given up before they were written (absent from reports written before it).
    var ERROR_CLASSES = [['status_4xx', '4xx'], ['status_5xx', '5xx'], ['timeout', 'timeout'],
        ['connect_error', 'connect error'], ['unsent_timeout', 'unsent (timed out)']];

    // What the page shows, for readers other than people: figures by key, chart data by chart id.
    var state = {ready: false, figures: {}, runs: [], charts: {}, markers: []};
    var plots = {};

    // ---- small helpers -------------------------------------------------------------------------------------

    function el(tag, attrs, children) {
        var node = document.createElement(tag);
        Object.keys(attrs || {}).forEach(function (k) {
            if (attrs[k] !== undefined && attrs[k] !== null) {
                node.setAttribute(k, attrs[k]);
            }
        });
        (children || []).forEach(function (c) {
            if (c === null || c === undefined) {
                return;
            }
            node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
        });
        return node;
    }

    function text(tag, content, attrs) {
        return el(tag, attrs, [content]);
    }

    function isNum(v) {
        return typeof v === 'number' && isFinite(v);
    }

    function round(v, digits) {
        return Number(v.toFixed(digits)).toString();
    }

    function fmtMs(v) {
        if (!isNum(v)) {
            return null;
        }
        if (Math.abs(v) >= 1000) {
            return round(v / 1000, 3) + ' s';
        }
        return (Math.abs(v) >= 100 ? round(v, 1) : Math.abs(v) >= 1 ? round(v, 2) : round(v, 3)) + ' ms';
    }

    function fmtCount(v) {
        return isNum(v) ? Math.round(v).toLocaleString('en-US') : null;
    }

    function fmtRate(v) {
        return isNum(v) ? round(v, 1) + '/s' : null;
    }

    /** Money to three significant digits, as the console's cost tables print it: a short run costs fractions of a cent. */
    function fmtMoney(v, currency) {
        if (!isNum(v)) {
            return null;
        }
        var digits = v === 0 ? '0' : Number(v.toPrecision(3)).toString();
        if (/e/.test(digits)) {
            digits = Number(v.toPrecision(3)).toFixed(Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v)))));
        }
        return (currency === 'USD' ? '$' + digits : digits + ' ' + (currency || ''));
    }

    function fmtSeconds(v) {
        return isNum(v) ? round(v, 3) + ' s' : null;
    }

    function get(obj, path) {
        return path.split('.').reduce(function (o, k) {
            return o === null || o === undefined ? null : o[k];
        }, obj);
    }

    function intervalSeconds(report) {
        return (report.run.interval_ms || 1000) / 1000;
    }

    // ---- figures ---------------------------------------------------------------------------------------------

    /**
     * The headline figures of a run: key, label, raw value (null when absent), display text, why absent. The cost
     * estimate comes from the report's cost section, which only a run on a platform that reports billed usage has.
     */
    function headlineFigures(report) {
        var d = report.detectors || {};
        var t = report.totals;
        var first = d.time_to_first_success;
        var steady = d.steady_state || {};
        var warm = d.warm_latency || {};
        var colds = d.cold_starts || [];
        var firstCold = colds.length ? colds[0] : null;
        var errors = t.errors;
        var errorTotal = errors.status_4xx + errors.status_5xx + errors.timeout + errors.connect_error
            + (errors.unsent_timeout || 0);
        var cost = report.cost || null;
        var costNote = cost ? ' (estimate' + (cost.lower_bound ? ', a lower bound: unpriced ' + cost.unpriced.join(', ')
            : '') + '; ' + cost.price_table + ' prices of ' + cost.prices_as_of + ')' : '';
        var noCost = report.platform ? 'no estimate: the platform reported no billed usage'
            : 'no estimate: the run drove no platform';
        return [
            {key: 'cold_starts', label: 'Cold starts', value: colds.length, text: fmtCount(colds.length)
                + (d.instance_source_label ? ' (' + d.instance_source_label + ')' : '')},
            {key: 'first_cold_start_first_response_ms', label: 'First cold start: first response latency',
                value: firstCold ? firstCold.first_response_latency_ms : null,
                text: firstCold ? fmtMs(firstCold.first_response_latency_ms) : null,
                absent: firstCold ? 'not reported' : 'no cold start'},
            {key: 'time_to_first_success_ms', label: 'Time to first response (2xx)', value: first ? first.ms : null,
                text: first ? fmtMs(first.ms) + (first.resolution !== 'exact' ? ' (' + first.resolution
                    + ' resolution)' : '') : null, absent: 'no 2xx response'},
            {key: 'time_to_steady_state_ms', label: 'Time to steady state',
                value: steady.reached ? steady.time_to_steady_state_ms : null,
                text: steady.reached ? fmtMs(steady.time_to_steady_state_ms) : null, absent: 'not reached'},
            {key: 'warm_p50_ms', label: 'Warm P50', value: warm.p50_ms, text: fmtMs(warm.p50_ms),
                absent: 'no steady-state interval'},
            {key: 'warm_p95_ms', label: 'Warm P95', value: warm.p95_ms, text: fmtMs(warm.p95_ms),
                absent: 'no steady-state interval'},
            {key: 'warm_p99_ms', label: 'Warm P99', value: warm.p99_ms, text: fmtMs(warm.p99_ms),
                absent: 'no steady-state interval'},
            {key: 'warm_count', label: 'Warm responses counted', value: warm.count, text: fmtCount(warm.count)},
            {key: 'latency_p50_ms', label: 'Latency P50, whole run, all outcomes', value: get(t, 'latency.p50_ms'),
                text: fmtMs(get(t, 'latency.p50_ms')), absent: 'nothing completed'},
            {key: 'latency_p99_ms', label: 'Latency P99, whole run, all outcomes', value: get(t, 'latency.p99_ms'),
                text: fmtMs(get(t, 'latency.p99_ms')), absent: 'nothing completed'},
            {key: 'latency_max_ms', label: 'Latency max, whole run', value: get(t, 'latency.max_ms'),
                text: fmtMs(get(t, 'latency.max_ms')), absent: 'nothing completed'},
            {key: 'requests', label: 'Requests completed', value: t.requests, text: fmtCount(t.requests)},
            {key: 'successes', label: 'Successes (2xx)', value: t.successes, text: fmtCount(t.successes)},
            {key: 'errors', label: 'Errors', value: errorTotal, text: fmtCount(errorTotal)
                + (t.requests > 0 ? ' (' + round(100 * errorTotal / t.requests, 2) + ' %)' : '')},
            {key: 'achieved_rate_per_s', label: 'Achieved rate', value: t.achieved_rate_per_s,
                text: fmtRate(t.achieved_rate_per_s)},
            {key: 'success_rate_per_s', label: 'Success rate', value: t.success_rate_per_s,
                text: fmtRate(t.success_rate_per_s)},
            {key: 'cost_total', label: 'Estimated cost of the run', value: cost ? cost.total : null,
                text: cost ? fmtMoney(cost.total, cost.currency) + costNote : null, absent: noCost,
                title: cost ? cost.leaves_out : null},
            {key: 'cost_per_million_predictions', label: 'Estimated cost per million predictions',
                value: cost ? cost.per_million_predictions : null,
                text: cost && isNum(cost.per_million_predictions) ? fmtMoney(cost.per_million_predictions,
                    cost.currency) + ' (' + fmtCount(cost.predictions) + ' predictions counted by '
                    + cost.predictions_source + ')' : null,
                absent: cost ? 'no prediction to divide by' : noCost, title: cost ? cost.leaves_out : null}
        ];
    }

    function figureCell(figure, runIndex) {
        var shown = figure.text !== null && figure.text !== undefined;
        return el('td', {
            'class': 'num',
            'data-figure': figure.key,
            'data-run': runIndex,
            'data-value': figure.value === null || figure.value === undefined ? 'null' : String(figure.value),
            title: figure.title || undefined
        }, [shown ? figure.text : el('span', {'class': 'absent'}, [figure.absent || 'absent'])]);
    }

    function recordFigures(report) {
        var figures = {};
        headlineFigures(report).forEach(function (f) {
            figures[f.key] = f.value === undefined ? null : f.value;
        });
        return figures;
    }

    // ---- charts ----------------------------------------------------------------------------------------------

    function markersOf(report) {
        var markers = [];
        var step = intervalSeconds(report);
        var d = report.detectors || {};
        (d.cold_starts || []).forEach(function (c) {
            markers.push({kind: 'cold_start', at_s: c.interval * step, label: 'cold start ' + c.instance_id});
        });
        if (d.steady_state && d.steady_state.reached) {
            markers.push({kind: 'steady_state', at_s: d.steady_state.time_to_steady_state_ms / 1000,
                label: 'steady state'});
        }
        (report.run.reslices || []).forEach(function (r) {
            markers.push({kind: 'reslice', at_s: r.at_s, label: 're-slice ' + r.epoch + ' (' + r.cause
                + (r.worker ? ' ' + r.worker : '') + ')'});
        });
        (report.run.takeovers || []).forEach(function (t) {
            markers.push({kind: 'takeover', at_s: t.at_s, label: 'takeover ' + t.from_coordinator + ' \u2192 '
                + t.to_coordinator});
        });
        return markers;
    }

    /** Draws a dashed vertical line with a label at each marker's instant; {@code markers}: an array, or a function giving one. */
    function markersPlugin(markers) {
        return {
            hooks: {
                draw: [function (u) {
                    var ctx = u.ctx;
                    var list = typeof markers === 'function' ? markers() : markers;
                    var ratio = window.devicePixelRatio || 1;
                    ctx.save();
                    list.forEach(function (m, i) {
                        var x = Math.round(u.valToPos(m.at_s, 'x', true));
                        if (!isFinite(x) || x < u.bbox.left || x > u.bbox.left + u.bbox.width) {
                            return;
                        }
                        var color = MARKER_COLORS[m.kind] || '#555';
                        ctx.strokeStyle = color;
                        ctx.fillStyle = color;
                        ctx.lineWidth = ratio;
                        ctx.setLineDash([4 * ratio, 3 * ratio]);
                        ctx.beginPath();
                        ctx.moveTo(x, u.bbox.top);
                        ctx.lineTo(x, u.bbox.top + u.bbox.height);
                        ctx.stroke();
                        ctx.font = (10 * ratio) + 'px sans-serif';
                        ctx.fillText(m.label, x + 3 * ratio, u.bbox.top + (11 + (i % 4) * 12) * ratio);
                    });
                    ctx.restore();
                }]
            }
        };
    }

    function markerLegend(markers) {
        if (!markers.length) {
            return null;
        }
        return el('div', {'class': 'markers'}, markers.map(function (m) {
            return el('span', {}, [el('i', {style: 'background:' + (MARKER_COLORS[m.kind] || '#555')}),
                m.label + ' at ' + round(m.at_s, 3) + ' s']);
        }));
    }

    /** x values 1/(1-p) of the classic HdrHistogram percentile plot, shown as percentiles. */
    function percentileLabel(x) {
        return round(100 * (1 - 1 / x), 6) + '%';
    }

    function powersOfTen(u, axisIndex, min, max) {
        var splits = [];
        for (var v = 1; v <= max * 1.0001; v *= 10) {
            if (v >= min * 0.9999) {
                splits.push(v);
            }
        }
        return splits;
    }

    /**
     * One chart: spec {id, title, xLabel, yLabel, x: [...], series: [{label, values, color}], markers, logToggle,
     * log, stepped, percentileX}. The chart's data is kept in state.charts[id] whether or not it can be drawn.
     * Returns a handle whose update(x, values per series, markers) redraws it with new data (the live dashboard
     * calls it every interval; the log-scale choice is kept).
     */
    function chart(container, spec) {
        var holder = el('div', {'class': 'chart', 'data-chart': spec.id});
        container.appendChild(holder);
        var log = !!spec.log;
        var plotHolder = null;
        var legendHolder = null;
        var drawnMarkerCount = -1;
        var colors = spec.series.map(function (s, i) {
            return s.color || PALETTE[i % PALETTE.length];
        });

        function hasData() {
            return spec.x.length > 0 && spec.series.some(function (s) {
                return s.values.some(isNum);
            });
        }

        function record() {
            state.charts[spec.id] = {
                title: spec.title,
                x: spec.x,
                labels: spec.series.map(function (s) {
                    return s.label;
                }),
                series: spec.series.map(function (s) {
                    return s.values;
                }),
                colors: colors,
                markers: spec.markers || [],
                drawn: !!plots[spec.id],
                empty: !hasData(),
                log: plots[spec.id] ? state.charts[spec.id] && state.charts[spec.id].log : false
            };
        }

        function valuesFor(useLog) {
            return spec.series.map(function (s) {
                return useLog ? s.values.map(function (v) {
                    return isNum(v) && v > 0 ? v : null;
                }) : s.values;
            });
        }

        function render() {
            if (plots[spec.id]) {
                plots[spec.id].destroy();
                delete plots[spec.id];
            }
            holder.textContent = '';
            plotHolder = null;
            record();
            if (!hasData()) {
                holder.appendChild(text('h3', spec.title));
                holder.appendChild(text('div', spec.emptyText || 'no data in this report', {'class': 'empty'}));
                return;
            }
            plotHolder = el('div');
            holder.appendChild(plotHolder);
            if (spec.logToggle) {
                var logBox = el('input', {type: 'checkbox', 'data-log-toggle': spec.id});
                logBox.checked = log;
                holder.appendChild(el('div', {'class': 'controls'}, [el('label', {}, [logBox, ' log scale'])]));
                logBox.addEventListener('change', function () {
                    log = logBox.checked;
                    build();
                });
            }
            legendHolder = el('div');
            holder.appendChild(legendHolder);
            build();
        }

        function drawLegend() {
            legendHolder.textContent = '';
            var legend = markerLegend(spec.markers || []);
            if (legend) {
                legendHolder.appendChild(legend);
            }
            drawnMarkerCount = (spec.markers || []).length;
        }

        function build() {
            if (plots[spec.id]) {
                plots[spec.id].destroy();
            }
            var series = valuesFor(log);
            // A log axis needs at least one positive value; without one, stay linear.
            var canLog = series.some(function (vs) {
                return vs.some(isNum);
            });
            var useLog = log && canLog;
            var width = Math.max(360, holder.clientWidth || 560);
            var xAxis = {label: spec.xLabel};
            if (spec.percentileX) {
                xAxis.splits = powersOfTen;
                xAxis.values = function (u, splits) {
                    return splits.map(percentileLabel);
                };
            }
            var opts = {
                title: spec.title,
                width: width,
                height: spec.height || 260,
                scales: {
                    x: {time: false, distr: spec.percentileX ? 3 : 1},
                    y: {distr: useLog ? 3 : 1}
                },
                series: [{
                    label: spec.xLabel,
                    value: function (u, v) {
                        return v === null || v === undefined ? '' : spec.percentileX ? percentileLabel(v) : round(v, 3);
                    }
                }].concat(spec.series.map(function (s, i) {
                    var one = {
                        label: s.label,
                        stroke: colors[i],
                        width: 1.5,
                        spanGaps: !!spec.spanGaps,
                        points: {show: spec.x.length <= 60}
                    };
                    if (spec.stepped) {
                        one.paths = uPlot.paths.stepped({align: 1});
                    }
                    return one;
                })),
                axes: [xAxis, {label: spec.yLabel, size: 64}],
                plugins: [markersPlugin(function () {
                    return spec.markers || [];
                })]
            };
            plots[spec.id] = new uPlot(opts, [spec.x].concat(series), plotHolder);
            state.charts[spec.id].drawn = true;
            state.charts[spec.id].log = useLog;
            drawLegend();
        }

        render();
        return {
            update: function (x, values, markers) {
                var wasEmpty = !plots[spec.id];
                spec.x = x;
                values.forEach(function (v, i) {
                    spec.series[i].values = v;
                });
                if (markers) {
                    spec.markers = markers;
                }
                if (wasEmpty || !hasData()) {
                    render();
                    return;
                }
                var useLog = state.charts[spec.id].log;
                record();
                state.charts[spec.id].drawn = true;
                state.charts[spec.id].log = useLog;
                plots[spec.id].setData([x].concat(valuesFor(useLog)));
                if ((spec.markers || []).length !== drawnMarkerCount) {
                    drawLegend();
                }
            }
        };
    }

    function column(rows, path) {
        return rows.map(function (r) {
            var v = get(r, path);
            return isNum(v) ? v : null;
        });
    }

    /** Aligns several (x, y) series on the union of their x values (null where a series has no point). */
    function align(parts) {
        var xs = [];
        var seen = {};
        parts.forEach(function (p) {
            p.x.forEach(function (x) {
                if (!seen.hasOwnProperty(String(x))) {
                    seen[String(x)] = true;
                    xs.push(x);
                }
            });
        });
        xs.sort(function (a, b) {
            return a - b;
        });
        var position = {};
        xs.forEach(function (x, i) {
            position[String(x)] = i;
        });
        var series = parts.map(function (p) {
            var values = xs.map(function () {
                return null;
            });
            p.x.forEach(function (x, i) {
                values[position[String(x)]] = p.y[i];
            });
            return values;
        });
        return {x: xs, series: series};
    }

    /** The points of a distribution below 100 % (that one, the maximum, has no place on a 1/(1-p) axis). */
    function distributionPart(points) {
        var finite = (points || []).filter(function (p) {
            return p.percentile < 100;
        });
        return {
            x: finite.map(function (p) {
                return 1 / (1 - p.percentile / 100);
            }),
            y: finite.map(function (p) {
                return p.value_ms;
            })
        };
    }

    function runCharts(container, report, prefix) {
        var rows = report.intervals || [];
        var x = rows.map(function (r) {
            return r.start_offset_s;
        });
        var step = intervalSeconds(report);
        var markers = markersOf(report);
        var grid = el('div', {'class': 'grid'});
        container.appendChild(grid);
        var timeLabel = 's from start (interval start)';

        chart(grid, {id: prefix + 'latency', title: 'Latency per interval (all outcomes)', xLabel: timeLabel,
            yLabel: 'ms', x: x, markers: markers, logToggle: true, series: [
                {label: 'p50', values: column(rows, 'latency.p50_ms')},
                {label: 'p95', values: column(rows, 'latency.p95_ms')},
                {label: 'p99', values: column(rows, 'latency.p99_ms')},
                {label: 'max', values: column(rows, 'latency.max_ms')}]});
        chart(grid, {id: prefix + 'rate', title: 'Achieved vs target rate', xLabel: timeLabel, yLabel: 'requests/s',
            x: x, markers: markers, stepped: true, series: [
                {label: 'target', values: rows.map(function (r) {
                    return r.intended / step;
                }), color: '#868e96'},
                {label: 'achieved (sent)', values: column(rows, 'achieved_rate_per_s')},
                {label: '2xx', values: column(rows, 'success_rate_per_s')}]});
        chart(grid, {id: prefix + 'errors', title: 'Errors by class per interval', xLabel: timeLabel,
            yLabel: 'responses', x: x, markers: markers, stepped: true,
            series: ERROR_CLASSES.map(function (c, i) {
                return {label: c[1], values: column(rows, 'errors.' + c[0]),
                    color: ['#f08c00', '#e03131', '#862e9c', '#495057', '#0b7285'][i]};
            })});
        chart(grid, {id: prefix + 'scheduler-lag',
            title: 'Scheduler lag (dispatch - intended send) and connection wait (write - dispatch)',
            xLabel: timeLabel, yLabel: 'ms', x: x, markers: markers, logToggle: true,
            emptyText: 'no scheduler lag per interval in this report (written before it was added)',
            series: [
                {label: 'p50', values: column(rows, 'scheduler_lag.p50_ms')},
                {label: 'p99', values: column(rows, 'scheduler_lag.p99_ms')},
                {label: 'max', values: column(rows, 'scheduler_lag.max_ms')},
                {label: 'connection wait p99', values: column(rows, 'connection_wait.p99_ms')}]});
        var instances = (report.detectors && report.detectors.instances_over_time) || [];
        var instanceSeries = [{label: 'instances (' + ((report.detectors || {}).instance_source || 'unknown') + ')',
            values: instances}];
        var ready = readyPerInterval(report, instances.length, step);
        if (ready) {
            instanceSeries.push({label: 'ready (platform)', values: ready, color: '#2f9e44'});
        }
        chart(grid, {id: prefix + 'instances', title: ready ? 'Instances answering and ready (platform) per interval'
            : 'Instances answering per interval', xLabel: timeLabel,
            yLabel: 'instances', x: instances.map(function (_, i) {
                return i * step;
            }), markers: markers, stepped: true, series: instanceSeries});
        var aligned = align([distributionPart(report.totals.latency_distribution),
            distributionPart(report.totals.latency_2xx_distribution)]);
        chart(grid, {id: prefix + 'distribution', title: 'Latency percentile distribution, whole run',
            xLabel: 'percentile', yLabel: 'ms', x: aligned.x, percentileX: true, logToggle: true, spanGaps: true,
            emptyText: 'no percentile distribution in this report (written before it was added, or nothing completed)',
            series: [{label: 'all outcomes', values: aligned.series[0]},
                {label: '2xx', values: aligned.series[1]}]});
        state.markers = state.markers.concat(markers);
    }

    // ---- tables ----------------------------------------------------------------------------------------------

    function table(headers, rows, numeric) {
        return el('table', {}, [
            el('thead', {}, [el('tr', {}, headers.map(function (h, i) {
                return text('th', h, numeric && numeric[i] ? {'class': 'num'} : {});
            }))]),
            el('tbody', {}, rows.map(function (r) {
                return el('tr', {}, r.map(function (c, i) {
                    var cell = c === null || c === undefined ? el('span', {'class': 'absent'}, ['\u2014']) : c;
                    return el('td', numeric && numeric[i] ? {'class': 'num'} : {}, [cell]);
                }));
            }))
        ]);
    }

    function describePhase(p) {
        var seconds = round(p.duration_ms / 1000, 3) + ' s';
        if (p.start_rate_per_s === p.end_rate_per_s) {
            return seconds + ' at ' + p.start_rate_per_s + '/s';
        }
        return seconds + (p.steps > 0 ? ' in ' + p.steps + ' steps' : ' ramp') + ' from ' + p.start_rate_per_s
            + '/s to ' + p.end_rate_per_s + '/s';
    }

    function planSection(container, report) {
        var run = report.run;
        var d = report.detectors || {};
        var th = d.thresholds || {};
        container.appendChild(text('h2', 'Plan and environment'));
        container.appendChild(table(['', ''], [
            ['Target', run.method + ' ' + run.target_url],
            ['Arrivals', run.arrival],
            ['Phases', (run.phases || []).map(describePhase).join('; ')],
            ['Load duration', fmtSeconds(run.load_duration_s)],
            ['Workers', String(run.worker_count)],
            ['Interval', fmtMs(run.interval_ms)],
            ['Instances from', d.instance_source_label || d.instance_source],
            ['Steady state rule', th.window_intervals + ' intervals, 2xx rate \u2265 ' + round(100
                * th.min_success_rate_ratio, 2) + ' % of target, errors \u2264 ' + round(100 * th.max_error_ratio, 3)
                + ' %, p95 spread \u2264 ' + th.max_p95_spread],
            ['Rejected reports', String(run.rejected_reports)]
        ]));
        container.appendChild(text('h3', 'Workers'));
        container.appendChild(table(
            ['worker', 'region', 'cores', 'share', 'sent', 'completed', 'intervals', 'clock offset', 'round trip',
                'end'],
            (report.workers || []).map(function (w) {
                return [w.id, w.region || null, String(w.cores), round(100 * w.share, 2) + ' %', fmtCount(w.sent),
                    fmtCount(w.completed), fmtCount(w.intervals_reported), fmtMs(w.clock_offset_ms),
                    fmtMs(w.clock_round_trip_ms), w.lost ? 'lost' : w.finished ? 'finished' : 'not finished'];
            }), [false, false, true, true, true, true, true, true, true, false]));
    }

    function headlineSection(container, report) {
        container.appendChild(text('h2', 'Headline'));
        container.appendChild(el('table', {'class': 'headline'}, [el('tbody', {}, headlineFigures(report)
            .map(function (f) {
                return el('tr', {}, [text('th', f.label), figureCell(f, 0)]);
            }))]));
        if (report.cost) {
            container.appendChild(text('p', 'The cost is an estimate: billed quantities over the run \u00d7 unit '
                + 'prices (every line is in the JSON report\'s cost section); ' + report.cost.leaves_out + '.',
                {'class': 'cost-note'}));
        }
    }

    /** A run with regions: each region's totals, read from its own merged histograms (the headline is their merge). */
    function regionsSection(container, report) {
        var rows = report.regions || [];
        if (!rows.length) {
            return;
        }
        container.appendChild(text('h2', 'Regions'));
        container.appendChild(table(['region', 'share', 'workers', 'sent', '2xx rate', 'p50', 'p95', 'p99', 'max',
            'clock error', 'unserved from'], rows.map(function (r) {
            var t = r.totals;
            return [r.region, round(100 * r.share, 1) + ' %', (r.workers.length - r.workers_lost) + '/'
                + r.workers.length, String(t.sent), fmtRate(t.success_rate_per_s), fmtMs(t.latency.p50_ms),
                fmtMs(t.latency.p95_ms), fmtMs(t.latency.p99_ms), fmtMs(t.latency.max_ms),
                fmtMs(r.clock_error_bound_ms), isNum(r.unserved_from_s) ? round(r.unserved_from_s, 1) + ' s' : null];
        }), [false, true, true, true, true, true, true, true, true, true, true]));
        if (isNum(report.run.start_skew_bound_ms)) {
            container.appendChild(text('p', 'Cross-region start skew: at most '
                + round(report.run.start_skew_bound_ms, 3) + ' ms (from the workers\' clock-offset error bounds).'));
        }
    }

    function fmtObserved(t) {
        if (!isNum(t.observed)) {
            return null;
        }
        if (t.figure === 'steady_state') {
            return t.observed >= 1 ? 'reached' : 'not reached';
        }
        if (t.unit === 'USD') {
            return fmtMoney(t.observed, t.unit);
        }
        return round(t.observed, 3) + (t.unit ? ' ' + t.unit : '');
    }

    /** The plan's pass/fail criteria, judged on this report: the verdict of each and of the run. */
    function thresholdsSection(container, report) {
        var rows = report.thresholds || [];
        if (!rows.length) {
            return;
        }
        var failed = rows.filter(function (t) {
            return !t.passed;
        }).length;
        container.appendChild(el('h2', {}, ['Thresholds ', el('span', {'class': 'state ' + (failed ? 'state-failed'
            : 'state-completed'), 'data-thresholds-verdict': failed ? 'fail' : 'pass'}, [failed ? failed + ' of '
            + rows.length + ' failed' : 'all ' + rows.length + ' passed'])]));
        container.appendChild(table(['criterion', 'observed', 'verdict', 'abortOnFail'], rows.map(function (t) {
            return [t.criterion, fmtObserved(t) === null ? el('span', {'class': 'absent'}, [t.figure.indexOf('cost.')
                === 0 ? 'no value: the run has no cost estimate' : 'no value'])
                : fmtObserved(t), el('span', {'class': t.passed ? 'pass' : 'fail'}, [t.passed ? 'PASS' : 'FAIL']),
                t.abort_on_fail ? 'yes' : 'no'];
        }), [false, true, false, false]));
    }

    /** What the page shows for each criterion, read back by tests: the criterion text and PASS or FAIL. */
    function thresholdVerdicts(report) {
        return (report.thresholds || []).map(function (t) {
            return {criterion: t.criterion, verdict: t.passed ? 'PASS' : 'FAIL'};
        });
    }

    function errorsSection(container, report) {
        var t = report.totals;
        container.appendChild(text('h2', 'Errors'));
        container.appendChild(table(['class', 'responses', 'share of completed'],
            ERROR_CLASSES.map(function (c) {
                var n = t.errors[c[0]];
                return [c[1], fmtCount(n), t.requests > 0 ? round(100 * n / t.requests, 3) + ' %' : null];
            }), [false, true, true]));
        container.appendChild(table(['', ''], [
            ['Late sends (scheduler lag over the threshold)', fmtCount(t.late_sends)],
            ['In-flight cap hits', fmtCount(t.in_flight_cap_hits)],
            ['Unsent (abandoned in the backlog)', fmtCount(t.unsent)],
            ['Intended / sent', fmtCount(t.intended) + ' / ' + fmtCount(t.sent)]]));
    }

    function coldStartSection(container, report) {
        var colds = (report.detectors || {}).cold_starts || [];
        container.appendChild(text('h2', 'Cold starts'));
        if (!colds.length) {
            container.appendChild(text('p', 'No cold-start event was seen.', {'class': 'note'}));
            return;
        }
        container.appendChild(table(['instance', 'interval', 'source', 'first response latency', 'model load'],
            colds.map(function (c) {
                return [c.instance_id, String(c.interval), c.source, fmtMs(c.first_response_latency_ms),
                    fmtMs(c.model_load_ms)];
            }), [false, true, false, true, true]));
    }

    /**
     * The platform's ready count at the end of each interval, from its samples (taken whenever a count changed);
     * null for a report without a platform section or without samples.
     */
    function readyPerInterval(report, intervals, step) {
        var samples = (report.platform && report.platform.instance_counts) || [];
        if (!samples.length) {
            return null;
        }
        var out = [];
        var k = -1;
        for (var i = 0; i < intervals; i++) {
            var endMs = (i + 1) * step * 1000;
            while (k + 1 < samples.length && samples[k + 1].offset_ms <= endMs) {
                k++;
            }
            out.push(k < 0 ? 0 : samples[k].ready);
        }
        return out;
    }

    /** What the page shows of the platform's breakdown, read back by tests: the per-run table's rows. */
    function platformPhaseRows(report) {
        return ((report.platform || {}).phase_table || []).map(function (r) {
            return {phase: r.phase, count: r.count, median_ms: r.median_ms, max_ms: r.max_ms};
        });
    }

    /**
     * Where each cold start's time went (created -> scheduled -> node -> image pulled -> started -> ready -> first
     * response), as the platform driver recorded it: the table per run (median and max of each phase), each cold
     * start, and the platform's events (scheduling failures with their message).
     */
    function platformSection(container, report) {
        var p = report.platform;
        if (!p) {
            return;
        }
        container.appendChild(text('h2', 'Platform: where the cold-start time went'));
        container.appendChild(text('p', p.source + (p.cold_start_check ? ' — forced cold start: '
            + p.cold_start_check.replace(/_/g, ' ') : ''), {'class': 'subtitle', id: 'platform-source'}));
        if (!(p.cold_starts || []).length) {
            container.appendChild(text('p', 'The platform recorded no cold start in this run.', {'class': 'note'}));
        } else {
            container.appendChild(text('h3', 'Per run: ' + p.cold_starts.length + ' cold start(s)'));
            container.appendChild(table(['phase', 'cold starts', 'median', 'max'], (p.phase_table || []).map(
                function (r) {
                    return [r.phase, String(r.count), fmtSeconds(r.median_ms / 1000), fmtSeconds(r.max_ms / 1000)];
                }), [false, true, true, true]));
            container.appendChild(text('h3', 'Each cold start'));
            container.appendChild(table(['instance', 'on', 'phases', 'total', 'model load'], p.cold_starts.map(
                function (c) {
                    return [c.instance, c.placement || null, c.phases.map(function (ph) {
                        return ph.name + ' ' + fmtSeconds(ph.ms / 1000);
                    }).join(' → '), fmtSeconds(c.total_ms / 1000) + (c.complete ? '' : ' (never ready)'),
                        isNum(c.model_load_ms) ? fmtMs(c.model_load_ms) : null];
                }), [false, false, false, true, true]));
        }
        if ((p.events || []).length) {
            container.appendChild(text('h3', 'Platform events'));
            container.appendChild(table(['at', 'severity', 'reason', 'object', 'message'], p.events.map(function (e) {
                return [fmtSeconds(e.offset_ms / 1000), e.severity, e.reason, e.object, e.message];
            }), [true, false, false, false, false]));
        }
    }

    function reslicesSection(container, report) {
        var run = report.run;
        container.appendChild(text('h2', 'Re-slices and takeovers'));
        if (!(run.reslices || []).length && !(run.takeovers || []).length) {
            container.appendChild(text('p', 'The rate was never re-divided and no coordinator took over.',
                {'class': 'note'}));
            return;
        }
        if ((run.reslices || []).length) {
            container.appendChild(table(['at', 'epoch', 'cause', 'worker', 'workers after', 'uncovered requests'],
                run.reslices.map(function (r) {
                    return [fmtSeconds(r.at_s), String(r.epoch), r.cause, r.worker || null,
                        (r.workers_after || []).join(', '), round(r.uncovered_intended_requests, 1)];
                }), [true, true, false, false, false, true]));
        }
        if ((run.takeovers || []).length) {
            container.appendChild(table(['at', 'from', 'to', 'reports restored'],
                run.takeovers.map(function (t) {
                    return [fmtSeconds(t.at_s), t.from_coordinator, t.to_coordinator, fmtCount(t.reports_restored)];
                }), [true, false, false, true]));
        }
    }

    function intervalsSection(container, report) {
        var rows = report.intervals || [];
        var details = el('details', {}, [text('summary', 'Every interval (' + rows.length + ')')]);
        container.appendChild(details);
        details.appendChild(table(['interval', 'start', 'intended', 'sent', 'completed', '2xx', 'errors', 'p50',
            'p99', 'max', 'workers'], rows.map(function (r) {
            var e = r.errors;
            return [String(r.index), fmtSeconds(r.start_offset_s), fmtCount(r.intended), fmtCount(r.sent),
                fmtCount(r.requests), fmtCount(r.successes),
                fmtCount(e.status_4xx + e.status_5xx + e.timeout + e.connect_error + (e.unsent_timeout || 0)),
                fmtMs(r.latency.p50_ms),
                fmtMs(r.latency.p99_ms), fmtMs(r.latency.max_ms), String(r.workers_reported)
                + (r.had_late_reports ? ' (late)' : '')];
        }), [true, true, true, true, true, true, true, true, true, true, true]));
    }

    function header(container, report, label) {
        var run = report.run;
        container.appendChild(text('h1', label || run.name || run.id));
        container.appendChild(el('p', {'class': 'subtitle'}, [
            el('span', {'class': 'state state-' + run.state}, [run.state]), ' run ' + run.id + ', ' + run.start
                + (run.end ? ' \u2192 ' + run.end : '') + (run.message ? ' \u2014 ' + run.message : '')]));
    }

    // ---- pages -----------------------------------------------------------------------------------------------

    function renderRun(root, entry) {
        var report = entry.report;
        header(root, report, entry.label);
        headlineSection(root, report);
        regionsSection(root, report);
        thresholdsSection(root, report);
        root.appendChild(text('h2', 'Over time'));
        runCharts(root, report, '');
        planSection(root, report);
        errorsSection(root, report);
        coldStartSection(root, report);
        platformSection(root, report);
        reslicesSection(root, report);
        intervalsSection(root, report);
        state.platformPhases = platformPhaseRows(report);
        state.figures = recordFigures(report);
        state.thresholds = thresholdVerdicts(report);
        state.runs = [{label: entry.label, figures: state.figures, thresholds: state.thresholds}];
    }

    function renderComparison(root, data) {
        var runs = data.runs;
        root.appendChild(text('h1', data.title || 'Salvo runs compared'));
        root.appendChild(text('p', runs.length + ' runs side by side', {'class': 'subtitle'}));
        root.appendChild(text('h2', 'Headline'));
        var figuresByRun = runs.map(function (r) {
            return headlineFigures(r.report);
        });
        var rows = figuresByRun[0].map(function (f, i) {
            return el('tr', {}, [text('th', f.label)].concat(figuresByRun.map(function (figs, run) {
                return figureCell(figs[i], run);
            })));
        });
        if (runs.some(function (r) {
            return (r.report.thresholds || []).length;
        })) {
            rows.push(el('tr', {}, [text('th', 'Thresholds')].concat(runs.map(function (r) {
                var all = r.report.thresholds || [];
                var failed = all.filter(function (t) {
                    return !t.passed;
                }).length;
                if (!all.length) {
                    return el('td', {'class': 'num'}, [el('span', {'class': 'absent'}, ['none'])]);
                }
                return el('td', {'class': 'num'}, [el('span', {'class': failed ? 'fail' : 'pass'},
                    [failed ? failed + ' of ' + all.length + ' failed' : 'all ' + all.length + ' passed'])]);
            }))));
        }
        root.appendChild(el('table', {'class': 'headline'}, [
            el('thead', {}, [el('tr', {}, [text('th', '')].concat(runs.map(function (r) {
                return text('th', r.label, {'class': 'num'});
            })))]),
            el('tbody', {}, rows)]));

        root.appendChild(text('h2', 'Runs overlaid'));
        var grid = el('div', {'class': 'grid'});
        root.appendChild(grid);
        var dist = align(runs.map(function (r) {
            var points = r.report.totals.latency_2xx_distribution;
            return distributionPart(points && points.length ? points : r.report.totals.latency_distribution);
        }));
        chart(grid, {id: 'compare-distribution', title: 'Latency percentile distribution (2xx), whole run',
            xLabel: 'percentile', yLabel: 'ms', x: dist.x, percentileX: true, logToggle: true, spanGaps: true,
            series: runs.map(function (r, i) {
                return {label: r.label, values: dist.series[i]};
            })});
        [['compare-p99', 'Latency p99 per interval', 'latency.p99_ms', 'ms', true],
            ['compare-p50', 'Latency p50 per interval', 'latency.p50_ms', 'ms', true],
            ['compare-rate', 'Achieved rate per interval', 'achieved_rate_per_s', 'requests/s', false]]
            .forEach(function (c) {
                var a = align(runs.map(function (r) {
                    var rows = r.report.intervals || [];
                    return {x: rows.map(function (row) {
                        return row.start_offset_s;
                    }), y: column(rows, c[2])};
                }));
                chart(grid, {id: c[0], title: c[1], xLabel: 's from start', yLabel: c[3], x: a.x, logToggle: c[4],
                    series: runs.map(function (r, i) {
                        return {label: r.label, values: a.series[i]};
                    })});
            });
        var inst = align(runs.map(function (r) {
            var values = (r.report.detectors && r.report.detectors.instances_over_time) || [];
            var step = intervalSeconds(r.report);
            return {x: values.map(function (_, i) {
                return i * step;
            }), y: values};
        }));
        chart(grid, {id: 'compare-instances', title: 'Instances answering per interval', xLabel: 's from start',
            yLabel: 'instances', x: inst.x, stepped: true, series: runs.map(function (r, i) {
                return {label: r.label, values: inst.series[i]};
            })});

        root.appendChild(text('h2', 'Each run'));
        runs.forEach(function (r, i) {
            // Drawn when opened: a closed section has no width to draw into, and a matrix has many runs.
            var details = el('details', {'data-run-details': i}, [text('summary', r.label + ' \u2014 '
                + r.report.run.id)]);
            root.appendChild(details);
            var drawn = false;
            details.addEventListener('toggle', function () {
                if (drawn || !details.open) {
                    return;
                }
                drawn = true;
                runCharts(details, r.report, 'run-' + i + '-');
                thresholdsSection(details, r.report);
                planSection(details, r.report);
                errorsSection(details, r.report);
                coldStartSection(details, r.report);
                reslicesSection(details, r.report);
            });
        });
        state.runs = runs.map(function (r) {
            return {label: r.label, figures: recordFigures(r.report), thresholds: thresholdVerdicts(r.report)};
        });
    }

    function renderFromPage() {
        var root = document.getElementById('salvo-report');
        var data = JSON.parse(document.getElementById('salvo-report-data').textContent);
        root.textContent = '';
        if (data.runs.length === 1) {
            renderRun(root, data.runs[0]);
        } else {
            renderComparison(root, data);
        }
        state.ready = true;
        window.salvoReport = state;
    }

    return {
        renderFromPage: renderFromPage,
        render: {run: renderRun, comparison: renderComparison},
        // What another page drawing runs the same way reuses (the coordinator's live dashboard).
        charts: {
            chart: chart, state: state, distributionPart: distributionPart, align: align, el: el, text: text,
            table: table, fmtMs: fmtMs, fmtRate: fmtRate, fmtCount: fmtCount, fmtSeconds: fmtSeconds, round: round,
            isNum: isNum, markerColors: MARKER_COLORS, errorClasses: ERROR_CLASSES
        }
    };
}());
