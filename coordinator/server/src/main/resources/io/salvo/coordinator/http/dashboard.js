/*
 * Salvo's live dashboard: the run list, and a run page whose charts follow the run over Server-Sent Events
 * (/api/runs/{id}/events: the history so far, then one "interval" event per shown interval, then "end"). The charts
 * are the HTML report's (report.js, SalvoReport.charts), fed interval by interval. When the coordinator serving the
 * page goes away, the stream continues on another coordinator of the cluster (from /api/cluster), resuming after the
 * last event received, so no interval is shown twice or missed. What the page holds is left in window.salvoDashboard
 * for tests and scripts.
 *
 * Off loopback the API needs a token: open the page as .../#token=TOKEN (a URL fragment never leaves the browser);
 * it is kept in this tab's sessionStorage and sent as "Authorization: Bearer" (as ?token= for EventSource, which
 * cannot set headers).
 */
var SalvoDashboard = (function () {
    'use strict';

    var C = SalvoReport.charts;
    var el = C.el;
    var text = C.text;
    var TOKEN_KEY = 'salvo-dashboard-token';

    var state = {
        ready: false,
        page: null,
        runId: null,
        run: null,
        intervals: [],
        lastSequence: -1,
        ended: false,
        end: null,
        markers: [],
        distribution: null,
        workers: [],
        regions: [],
        base: '',
        dashboards: [],
        failovers: 0,
        connected: false,
        charts: C.state.charts
    };
    window.salvoDashboard = state;

    var token = null;
    var source = null;
    var handles = {};
    var refreshPending = false;

    // ---- connection ------------------------------------------------------------------------------------------

    function readToken() {
        var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash || '');
        if (match) {
            sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
            history.replaceState(null, '', window.location.pathname + window.location.search);
        }
        token = sessionStorage.getItem(TOKEN_KEY);
    }

    function api(path, base) {
        var headers = token ? {Authorization: 'Bearer ' + token} : {};
        return fetch((base === undefined ? state.base : base) + path, {headers: headers, cache: 'no-store'})
            .then(function (response) {
                if (!response.ok) {
                    return response.json().catch(function () {
                        return {};
                    }).then(function (body) {
                        var error = new Error(body.error || ('HTTP ' + response.status));
                        error.status = response.status;
                        throw error;
                    });
                }
                return response.json();
            });
    }

    /** The cluster's dashboards, live ones first; a dead one stays listed last (it may come back). */
    function refreshDashboards() {
        return api('/api/cluster').then(function (c) {
            var live = c.dashboards.filter(function (d) {
                return d.live;
            }).map(function (d) {
                return d.url;
            });
            var rest = state.dashboards.filter(function (u) {
                return live.indexOf(u) < 0;
            });
            state.dashboards = live.concat(rest);
        }).catch(function () {
            // This coordinator may be the one that died; the list learnt so far stays.
        });
    }

    // ---- formatting ------------------------------------------------------------------------------------------

    function ms(micros) {
        return C.isNum(micros) ? micros / 1000 : null;
    }

    function stateBadge(name) {
        return el('span', {'class': 'state state-' + name, id: 'run-state'}, [name]);
    }

    function setStatus(message, lost) {
        var node = document.getElementById('connection');
        if (node) {
            node.textContent = message;
            node.className = 'connection' + (lost ? ' lost' : '');
        }
    }

    // ---- run list --------------------------------------------------------------------------------------------

    function listPage(root) {
        state.page = 'list';
        root.appendChild(text('h1', 'Salvo runs'));
        var holder = el('div', {id: 'runs'});
        root.appendChild(holder);
        function load() {
            api('/api/runs').then(function (runs) {
                state.runs = runs;
                holder.textContent = '';
                if (!runs.length) {
                    holder.appendChild(text('p', 'No run yet. Start one with salvo run.', {'class': 'note'}));
                } else {
                    holder.appendChild(C.table(['run', 'name', 'state', 'started', 'load', 'workers', 'target'],
                        runs.map(function (r) {
                            return [el('a', {href: '/runs/' + encodeURIComponent(r.run_id)}, [r.run_id]), r.name,
                                stateBadge(r.state), new Date(r.start_unix_millis).toISOString(),
                                C.fmtSeconds(r.load_seconds), String(r.workers), r.target_url];
                        })));
                }
                state.ready = true;
            }).catch(function (e) {
                holder.textContent = '';
                holder.appendChild(text('p', 'Cannot list runs: ' + e.message, {'class': 'error'}));
            });
        }
        load();
        setInterval(load, 2000);
    }

    // ---- run page --------------------------------------------------------------------------------------------

    function runPage(root, runId) {
        state.page = 'run';
        state.runId = runId;
        root.appendChild(el('div', {'class': 'topbar'}, [el('a', {href: '/'}, ['\u2190 all runs']),
            el('span', {id: 'connection', 'class': 'connection'}, ['connecting'])]));
        var title = text('h1', runId);
        root.appendChild(title);
        var subtitle = el('p', {'class': 'subtitle', id: 'subtitle'});
        root.appendChild(subtitle);
        var now = el('div', {id: 'now'});
        root.appendChild(now);
        var events = el('ul', {'class': 'events', id: 'events'});
        root.appendChild(events);
        var grid = el('div', {'class': 'grid'});
        root.appendChild(grid);
        var tables = el('div', {id: 'tables'});
        root.appendChild(tables);
        createCharts(grid);

        api('/api/runs/' + encodeURIComponent(runId)).then(function (run) {
            state.run = run;
            title.textContent = run.name || run.run_id;
            subtitle.textContent = '';
            subtitle.appendChild(stateBadge(state.ended ? state.end.state : run.state));
            subtitle.appendChild(document.createTextNode(' run ' + run.run_id + ', ' + run.method + ' '
                + run.target_url + ', ' + run.workers + ' worker(s), load ' + C.fmtSeconds(run.load_seconds)));
            redraw();
        }).catch(function (e) {
            subtitle.textContent = 'Cannot read run ' + runId + ': ' + e.message;
            subtitle.className = 'error';
        });
        refreshDashboards().then(function () {
            connect(state.base);
        });

        function render() {
            renderNow(now);
            renderEvents(events);
            renderTables(tables);
        }
        state.render = render;
    }

    function createCharts(grid) {
        var timeLabel = 's from start (interval start)';
        var spec = function (id, title, yLabel, labels, extra) {
            var s = {id: id, title: title, xLabel: timeLabel, yLabel: yLabel, x: [], markers: [],
                emptyText: 'waiting for the first interval', series: labels.map(function (l) {
                    return {label: l[0], values: [], color: l[1]};
                })};
            Object.keys(extra || {}).forEach(function (k) {
                s[k] = extra[k];
            });
            handles[id] = C.chart(grid, s);
        };
        spec('latency', 'Latency per interval (all outcomes)', 'ms', [['p50'], ['p95'], ['p99'], ['max']],
            {logToggle: true});
        spec('rate', 'Achieved vs target rate', 'requests/s',
            [['target', '#868e96'], ['achieved (sent)'], ['2xx']], {stepped: true});
        // The snapshots count the four outcome classes; the report's fifth series (unsent, timed out) is a part of
        // "timeout" that only the finished run's totals break out.
        spec('errors', 'Errors by class per interval', 'responses', C.errorClasses.slice(0, 4).map(function (c, i) {
            return [c[1], ['#f08c00', '#e03131', '#862e9c', '#495057'][i]];
        }), {stepped: true});
        spec('scheduler-lag', 'Generator: scheduler lag (dispatch - intended send) and connection wait (write - dispatch)',
            'ms', [['lag p99'], ['lag max'], ['connection wait p99', '#f08c00'], ['connection wait max', '#e8590c']],
            {logToggle: true});
        spec('instances', 'Instances answering, and ready by the platform (when a client reports it)', 'instances',
            [['instances'], ['ready (platform)', '#2f9e44']], {stepped: true});
        handles.distribution = C.chart(grid, {id: 'distribution', title: 'Latency percentile distribution, run so far',
            xLabel: 'percentile', yLabel: 'ms', x: [], percentileX: true, logToggle: true, spanGaps: true,
            emptyText: 'nothing completed yet', series: [{label: 'all outcomes', values: []}]});
    }

    /** A short label for the chart (the event's full text is in the list above the charts). */
    function shortLabel(kind) {
        return kind.replace(/_/g, ' ');
    }

    function markers() {
        var list = [];
        state.intervals.forEach(function (i) {
            i.events.forEach(function (e) {
                if (C.isNum(e.offset_micros)) {
                    list.push({kind: e.kind, at_s: e.offset_micros / 1e6, label: shortLabel(e.kind), text: e.text});
                }
            });
        });
        // The snapshots carry re-slices and takeovers as events too (since the live view has them); the run record's
        // lists still cover what no snapshot has shown yet (a takeover recorded after the last interval), so each is
        // drawn from the record only when no event of its kind sits at its instant.
        var shown = function (kind, at) {
            return list.some(function (m) {
                return m.kind === kind && Math.abs(m.at_s - at) < 0.001;
            });
        };
        var run = state.run || {};
        (run.reslices || []).forEach(function (r) {
            if (!shown('reslice', r.at_s)) {
                list.push({kind: 'reslice', at_s: r.at_s, label: 're-slice ' + r.epoch + ' (' + r.cause
                    + (r.worker ? ' ' + r.worker : '') + ')'});
            }
        });
        (run.takeovers || []).forEach(function (t) {
            if (!shown('takeover', t.at_s)) {
                list.push({kind: 'takeover', at_s: t.at_s, label: 'takeover ' + t.from_coordinator + ' \u2192 '
                    + t.to_coordinator});
            }
        });
        return list;
    }

    function redraw() {
        var rows = state.intervals;
        var x = rows.map(function (r) {
            return r.interval_index * r.interval_millis / 1000;
        });
        var m = markers();
        state.markers = m;
        var col = function (f) {
            return rows.map(f);
        };
        handles.latency.update(x, ['p50', 'p95', 'p99', 'max'].map(function (p) {
            return col(function (r) {
                return ms(r.latency_micros[p]);
            });
        }), m);
        handles.rate.update(x, [col(function (r) {
            return r.target_rate_per_second;
        }), col(function (r) {
            return r.sent * 1000 / r.interval_millis;
        }), col(function (r) {
            return r.success_rate_per_second;
        })], m);
        handles.errors.update(x, ['4xx', '5xx', 'timeout', 'connect_error'].map(function (c) {
            return col(function (r) {
                return r.outcomes[c] || 0;
            });
        }), m);
        handles['scheduler-lag'].update(x, [col(function (r) {
            return ms(r.scheduler_lag_p99_micros);
        }), col(function (r) {
            return ms(r.scheduler_lag_max_micros);
        }), col(function (r) {
            return ms(r.connection_wait_p99_micros || 0);
        }), col(function (r) {
            return ms(r.connection_wait_max_micros || 0);
        })], m);
        handles.instances.update(x, [col(function (r) {
            return r.responding_instances;
        }), col(function (r) {
            return r.platform ? r.platform.ready : null;
        })], m);
        if (state.distribution) {
            var part = C.distributionPart(state.distribution.points);
            handles.distribution.update(part.x, [part.y]);
        }
        if (state.render) {
            state.render();
        }
    }

    function renderNow(holder) {
        holder.textContent = '';
        var last = state.intervals[state.intervals.length - 1];
        if (!last) {
            return;
        }
        var d = state.distribution && state.distribution.latency_micros;
        holder.appendChild(C.table(['', 'latest interval', 'run so far'], [
            ['elapsed', C.fmtSeconds(last.elapsed_seconds), null],
            ['rate (target / 2xx)', C.fmtRate(last.target_rate_per_second) + ' / '
                + C.fmtRate(last.success_rate_per_second), null],
            ['p50', C.fmtMs(ms(last.latency_micros.p50)), d ? C.fmtMs(ms(d.p50)) : null],
            ['p95', C.fmtMs(ms(last.latency_micros.p95)), d ? C.fmtMs(ms(d.p95)) : null],
            ['p99', C.fmtMs(ms(last.latency_micros.p99)), d ? C.fmtMs(ms(d.p99)) : null],
            ['max', C.fmtMs(ms(last.latency_micros.max)), d ? C.fmtMs(ms(d.max)) : null],
            ['errors', C.fmtCount(last.errors), null],
            ['workers', last.workers_reported + '/' + last.workers_assigned, null]
        ].concat(last.platform ? [['platform: ready / starting', last.platform.ready + ' / '
            + last.platform.starting, null]] : []), [false, true, true]));
    }

    function renderEvents(holder) {
        holder.textContent = '';
        state.markers.forEach(function (m) {
            holder.appendChild(el('li', {'data-kind': m.kind}, [
                el('i', {style: 'display:inline-block;width:10px;height:2px;vertical-align:middle;margin-right:6px;'
                    + 'background:' + (C.markerColors[m.kind] || '#555')}),
                el('span', {'class': 'at'}, [C.round(m.at_s, 3) + ' s']), m.text || m.label]));
        });
    }

    function renderTables(holder) {
        holder.textContent = '';
        holder.appendChild(text('h2', 'Workers'));
        holder.appendChild(C.table(['worker', 'region', 'state', 'sent rate', 'scheduler lag p99', 'lag max',
            'clock offset', 'round trip', 'last report'], state.workers.map(function (w) {
            return [w.worker_id, w.region || null, w.state, C.fmtRate(w.sent_rate_per_s),
                C.fmtMs(w.scheduler_lag_p99_ms), C.fmtMs(w.scheduler_lag_max_ms), C.fmtMs(w.clock_offset_ms),
                C.fmtMs(w.clock_round_trip_ms), lastReport(w)];
        }), [false, false, false, true, true, true, true, true, false]));
        // The whole run ("all", the exact merge), then each region of the plan from its own merge (issue 14); the
        // clock and last-report columns come from the worker table's per-region summary, matched by name.
        holder.appendChild(text('h2', 'Regions'));
        var last = state.intervals[state.intervals.length - 1];
        var clocks = {};
        state.regions.forEach(function (r) {
            clocks[r.region] = r;
        });
        var rows = [];
        if (last) {
            [Object.assign({region: 'all'}, last)].concat(last.regions || []).forEach(function (r) {
                var c = clocks[r.region] || {};
                rows.push([r.region, C.fmtRate(r.sent * 1000 / last.interval_millis),
                    C.fmtRate(r.success_rate_per_second), C.fmtMs(ms(r.latency_micros.p50)),
                    C.fmtMs(ms(r.latency_micros.p99)), C.fmtMs(ms(r.scheduler_lag_p99_micros)),
                    C.fmtMs(ms(r.scheduler_lag_max_micros)), r.workers_reported + '/' + r.workers_assigned,
                    r.workers_lost, r.responding_instances, r.cold_starts,
                    offsetRange(c), C.fmtMs(c.clock_error_bound_ms), lastReport(c)]);
            });
        }
        // instances: those that answered the region's workers in the interval; cold starts: the run's so far whose
        // instance first answered the region's workers (the "all" row's also counts those known from platform signals)
        holder.appendChild(C.table(['region', 'sent rate', '2xx rate', 'p50', 'p99', 'scheduler lag p99', 'lag max',
            'workers', 'lost', 'instances', 'cold starts', 'clock offset', 'clock error bound', 'last report'], rows,
            [false, true, true, true, true, true, true, false, true, true, true, true, true, false]));
    }

    function offsetRange(r) {
        if (!C.isNum(r.clock_offset_min_ms)) {
            return null;
        }
        return r.clock_offset_min_ms === r.clock_offset_max_ms ? C.fmtMs(r.clock_offset_min_ms)
            : C.fmtMs(r.clock_offset_min_ms) + ' \u2026 ' + C.fmtMs(r.clock_offset_max_ms);
    }

    function lastReport(r) {
        return C.isNum(r.last_interval_index) ? 'interval ' + r.last_interval_index + ' (to '
            + C.fmtSeconds(r.last_report_end_s) + ')' : null;
    }

    /** Distribution and worker table: fetched after an interval arrives, at most one request of each in flight. */
    function refreshDetails() {
        if (refreshPending) {
            return;
        }
        refreshPending = true;
        var id = encodeURIComponent(state.runId);
        Promise.all([
            api('/api/runs/' + id + '/distribution').then(function (d) {
                state.distribution = d;
            }),
            api('/api/runs/' + id + '/workers').then(function (w) {
                state.workers = w.workers;
                state.regions = w.regions || [];
            }),
            api('/api/runs/' + id).then(function (run) {
                state.run = run;
            })
        ]).catch(function () {
            // The next interval (or the fail-over) asks again.
        }).then(function () {
            refreshPending = false;
            redraw();
            state.ready = true;
        });
    }

    function connect(base) {
        if (source) {
            source.close();
        }
        state.base = base;
        var query = [];
        if (state.lastSequence >= 0) {
            query.push('last_event_id=' + state.lastSequence);
        }
        if (token) {
            query.push('token=' + encodeURIComponent(token));
        }
        var url = base + '/api/runs/' + encodeURIComponent(state.runId) + '/events'
            + (query.length ? '?' + query.join('&') : '');
        source = new EventSource(url);
        source.onopen = function () {
            state.connected = true;
            setStatus('live from ' + (base || window.location.origin), false);
        };
        source.addEventListener('interval', function (e) {
            var interval = JSON.parse(e.data);
            if (interval.sequence <= state.lastSequence) {
                return;
            }
            state.lastSequence = interval.sequence;
            state.intervals.push(interval);
            redraw();
            refreshDetails();
        });
        source.addEventListener('end', function (e) {
            var end = JSON.parse(e.data);
            state.lastSequence = Math.max(state.lastSequence, end.sequence);
            state.ended = true;
            state.end = end;
            source.close();
            state.connected = false;
            setStatus('run ' + end.state + (end.message ? ': ' + end.message : ''), false);
            var badge = document.getElementById('run-state');
            if (badge) {
                badge.textContent = end.state;
                badge.className = 'state state-' + end.state;
            }
            refreshDetails();
        });
        source.onerror = function () {
            if (state.ended) {
                return;
            }
            state.connected = false;
            // EventSource retries the same address by itself; a coordinator that died never answers again, so
            // move on to the next one known, from the event after the last one received.
            source.close();
            var others = state.dashboards.filter(function (u) {
                return u !== state.base && !(state.base === '' && u === window.location.origin);
            });
            var candidates = others.concat([state.base]);
            var next = candidates[state.failovers % candidates.length];
            state.failovers++;
            setStatus('connection lost; trying ' + (next || window.location.origin), true);
            setTimeout(function () {
                refreshDashboards().then(function () {
                    connect(next);
                });
            }, 1000);
        };
    }

    function start() {
        readToken();
        var root = document.getElementById('salvo-dashboard');
        root.textContent = '';
        var match = /^\/runs\/([^\/]+)$/.exec(window.location.pathname);
        if (match) {
            runPage(root, decodeURIComponent(match[1]));
        } else {
            listPage(root);
        }
    }

    return {start: start};
}());
