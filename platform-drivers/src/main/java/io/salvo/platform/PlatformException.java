package io.salvo.platform;

/** The platform failed to do what was asked (an instance could not start, the endpoint never became ready). */
public class PlatformException extends Exception {
    private static final long serialVersionUID = 1L;

    public PlatformException(String message) {
        super(message);
    }

    public PlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
