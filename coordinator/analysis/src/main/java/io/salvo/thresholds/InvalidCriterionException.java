package io.salvo.thresholds;

/** A criterion's text cannot be read; the message says what is wrong and is meant to be shown as is. */
public final class InvalidCriterionException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidCriterionException(String message) {
        super(message);
    }
}
