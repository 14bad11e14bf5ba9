package io.salvo.cli;

import io.salvo.core.security.ServerNames;
import io.salvo.core.security.TlsFiles;
import java.io.IOException;
import picocli.CommandLine.Option;

/** {@code --tls-server-name}: the coordinator's name for certificate checks when the dialled address is another. */
final class TlsServerNameOption {

    /** The gRPC Service of deploy/kubernetes; its in-cluster name is what the coordinators' certificate names. */
    static final String COORDINATOR_SERVICE = "salvo-coordinator";

    @Option(
            names = "--tls-server-name",
            paramLabel = "NAME",
            description = "With TLS: the name the coordinator's certificate must carry, when it is not the host "
                    + "dialled (default: with --kubernetes, " + COORDINATOR_SERVICE
                    + ".NS.svc, the gRPC Service's in-cluster name; otherwise the host of --coordinator).")
    String serverName;

    /** The Service's in-cluster name in {@code namespace}, valid whatever the cluster's DNS domain. */
    static String serviceName(String namespace) {
        return COORDINATOR_SERVICE + "." + namespace + ".svc";
    }

    /**
     * How to dial: plaintext when no TLS file is given, else TLS checking {@code --tls-server-name}, or under
     * {@code --kubernetes} (a non-null {@code kubernetesNamespace}) the Service's in-cluster name.
     *
     * @throws IOException naming the option at fault, for a message and exit code 2
     */
    ClientTls resolve(TlsFiles files, String kubernetesNamespace) throws IOException {
        String checked = validated(files);
        if (files == null) {
            return ClientTls.PLAINTEXT;
        }
        String name = checked != null ? checked : kubernetesNamespace != null ? serviceName(kubernetesNamespace) : null;
        return new ClientTls(files.clientContext(), name);
    }

    /**
     * The name given, or null; refused when it is not a DNS name or no TLS file is given.
     *
     * @throws IOException naming the option at fault, for a message and exit code 2
     */
    String validated(TlsFiles files) throws IOException {
        if (serverName != null && !ServerNames.isDnsName(serverName)) {
            throw new IOException("--tls-server-name must be a DNS name, got '" + serverName + "'");
        }
        if (files == null && serverName != null) {
            throw new IOException("--tls-server-name applies to TLS: give the CA that signed the coordinator's "
                    + "certificate with --tls-ca");
        }
        return serverName;
    }
}
