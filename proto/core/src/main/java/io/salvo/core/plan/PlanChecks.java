package io.salvo.core.plan;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RunPlan;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * Server-side sanity checks of a plan received over the wire. The CLI reports the same problems with
 * file and line before sending; these protect the coordinator from other clients.
 */
public final class PlanChecks {

    /** Intervals a run may have: 115 days of 1 s intervals, 27 hours of 10 ms ones. */
    public static final long MAX_INTERVALS = 10_000_000;
    /**
     * The widest send-ahead window a plan may ask for: 10 ms early is already a burst of every request of 10 ms; wider
     * would change the arrival process the run is meant to offer.
     */
    public static final int MAX_SEND_AHEAD_MICROS = 10_000;
    /** The CLI's limit for target.tls.caFile. */
    private static final int MAX_CA_BYTES = 1 << 20;

    private PlanChecks() {}

    /** The first problem found, or null when the plan can run. */
    public static String problem(RunPlan plan) {
        if (!plan.hasRequest() || plan.getRequest().getUrl().isEmpty()) {
            return "plan.request.url is missing";
        }
        String url = plan.getRequest().getUrl();
        if (!(url.regionMatches(true, 0, "http://", 0, 7) || url.regionMatches(true, 0, "https://", 0, 8))) {
            return "plan.request.url must start with http:// or https://, got '" + url + "'";
        }
        ByteString trusted = plan.getRequest().getTrustedCaCertificatesPem();
        if (!trusted.isEmpty()) {
            if (!url.regionMatches(true, 0, "https://", 0, 8)) {
                return "plan.request.trusted_ca_certificates_pem applies to https:// URLs only";
            }
            if (trusted.size() > MAX_CA_BYTES) {
                return "plan.request.trusted_ca_certificates_pem is larger than 1 MiB";
            }
            // The workers' TLS stack reads PEM blocks only, where CertificateFactory also takes DER and PKCS#7.
            if (!trusted.toStringUtf8().contains("-----BEGIN CERTIFICATE-----")) {
                return "plan.request.trusted_ca_certificates_pem holds no PEM 'BEGIN CERTIFICATE' block";
            }
            try {
                if (CertificateFactory.getInstance("X.509")
                        .generateCertificates(trusted.newInput())
                        .isEmpty()) {
                    return "plan.request.trusted_ca_certificates_pem holds no certificate";
                }
            } catch (CertificateException e) {
                return "plan.request.trusted_ca_certificates_pem is not PEM-encoded X.509: " + e.getMessage();
            }
        }
        if (plan.getPhasesCount() == 0) {
            return "plan.phases is empty";
        }
        for (int i = 0; i < plan.getPhasesCount(); i++) {
            Phase p = plan.getPhases(i);
            if (p.getDurationMillis() == 0) {
                return "plan.phases[" + i + "].duration_millis must be > 0";
            }
            if (!(p.getStartRatePerSecond() >= 0)
                    || !(p.getEndRatePerSecond() >= 0)
                    || p.getStartRatePerSecond() + p.getEndRatePerSecond() == 0
                    || Double.isInfinite(p.getStartRatePerSecond())
                    || Double.isInfinite(p.getEndRatePerSecond())) {
                return "plan.phases[" + i + "] rates must be finite, >= 0 and not both 0";
            }
            if (p.getSteps() == 1) {
                return "plan.phases[" + i + "].steps must be 0 (ramp) or at least 2";
            }
        }
        if (plan.getArrival() == ArrivalProcess.ARRIVAL_PROCESS_UNSPECIFIED
                || plan.getArrival() == ArrivalProcess.UNRECOGNIZED) {
            return "plan.arrival must be CONSTANT or POISSON";
        }
        if (plan.getWorkerCount() < 1) {
            return "plan.worker_count must be >= 1";
        }
        if (plan.getIntervalMillis() < 10) {
            return "plan.interval_millis must be >= 10";
        }
        if (plan.getRequestTimeoutMillis() < 1 || plan.getConnectTimeoutMillis() < 1) {
            return "plan timeouts must be >= 1 ms";
        }
        // Per-interval state is kept in arrays indexed by interval; this bounds them. Durations are
        // unsigned on the wire, so a huge one reads as negative here.
        long loadMillis = 0;
        for (Phase p : plan.getPhasesList()) {
            if (p.getDurationMillis() < 0 || loadMillis > Long.MAX_VALUE - p.getDurationMillis()) {
                return "plan is too long: at most " + MAX_INTERVALS + " intervals";
            }
            loadMillis += p.getDurationMillis();
        }
        long intervals =
                loadMillis / plan.getIntervalMillis() + plan.getRequestTimeoutMillis() / plan.getIntervalMillis();
        if (intervals > MAX_INTERVALS) {
            return "plan is too long: " + intervals + " intervals, at most " + MAX_INTERVALS;
        }
        String regions = regionProblem(plan);
        if (regions != null) {
            return regions;
        }
        if (plan.getMaxInFlightPerWorker() < 1 || plan.getMaxConnectionsPerWorker() < 1) {
            return "plan.max_in_flight_per_worker and max_connections_per_worker must be >= 1";
        }
        if (plan.getPreconnectPerWorker() < 0 || plan.getPreconnectPerWorker() > plan.getMaxConnectionsPerWorker()) {
            return "plan.preconnect_per_worker must be between 0 and max_connections_per_worker ("
                    + plan.getMaxConnectionsPerWorker() + "), got "
                    + Integer.toUnsignedString(plan.getPreconnectPerWorker());
        }
        if (plan.hasSendAheadMicros()
                && Integer.compareUnsigned(plan.getSendAheadMicros(), MAX_SEND_AHEAD_MICROS) > 0) {
            return "plan.send_ahead_micros must be at most " + MAX_SEND_AHEAD_MICROS + ", got "
                    + Integer.toUnsignedString(plan.getSendAheadMicros());
        }
        return null;
    }

    /** The plan's regions: distinct non-empty labels, positive finite weights, enough workers for all of them. */
    private static String regionProblem(RunPlan plan) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        long fixed = 0;
        int open = 0;
        for (int i = 0; i < plan.getRegionsCount(); i++) {
            RegionShare r = plan.getRegions(i);
            if (r.getRegion().isEmpty()) {
                return "plan.regions[" + i + "].region is empty";
            }
            if (!seen.add(r.getRegion())) {
                return "plan.regions: region '" + r.getRegion() + "' appears twice";
            }
            if (!(r.getWeight() > 0) || Double.isInfinite(r.getWeight())) {
                return "plan.regions[" + i + "].weight must be finite and > 0";
            }
            if (r.getWorkers() > 0) {
                fixed += r.getWorkers();
            } else {
                open++;
            }
        }
        if (plan.getRegionsCount() > 0 && fixed + open > plan.getWorkerCount()) {
            return "plan.worker_count " + plan.getWorkerCount() + " is fewer than the regions need (" + (fixed + open)
                    + ")";
        }
        if (plan.getRegionsCount() > 0 && open == 0 && fixed != plan.getWorkerCount()) {
            return "plan.worker_count " + plan.getWorkerCount() + " differs from the regions' workers (" + fixed + ")";
        }
        return null;
    }
}
