package io.salvo.deploy.kubernetes;

/** A deployment step that cannot go on, with a message meant for the user as it is. */
public final class DeployException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DeployException(String message) {
        super(message);
    }
}
