package io.salvo.core.link;

import java.time.Duration;

/**
 * What a worker re-sends after its link to a coordinator was lost, and the keepalive that bounds how long losing it
 * takes to notice. Workers and coordinators both depend on these figures: the worker re-sends, and the coordinator
 * must still recognise a copy of a report for as long as one can arrive (it seals intervals only past this horizon),
 * so they are defined once, here.
 */
public final class ReportResend {

    /** How often a worker pings an idle link; the coordinator permits pings this often. */
    public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);

    /** How long a ping may go unanswered before the worker drops the link. */
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    /**
     * Messages sent within this long before a link was lost are re-sent on the next one: at least what noticing a
     * silently dead coordinator takes ({@link #KEEPALIVE_TIME} + {@link #KEEPALIVE_TIMEOUT}), with a margin.
     */
    public static final Duration WINDOW = Duration.ofSeconds(20);

    /** At most this many of those messages are re-sent. */
    public static final int MAX_MESSAGES = 32;

    private ReportResend() {}
}
