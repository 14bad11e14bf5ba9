/**
 * Salvo's own objects in a Kubernetes cluster: the worker group Job that {@code salvo deploy workers} creates,
 * its removal by label, and the bounded wait for its pods. Knows nothing of the CLI; the commands in
 * {@code io.salvo.cli} turn its results and exceptions into messages and exit codes.
 */
package io.salvo.deploy.kubernetes;
