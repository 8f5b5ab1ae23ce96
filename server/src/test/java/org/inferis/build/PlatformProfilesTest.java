package org.inferis.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The build's platform profiles (root pom, activated by OS and architecture): each names native jars that Maven
 * Central serves, and the engines' JNI jars in this build carry code for it.
 */
class PlatformProfilesTest {
    private static final String CENTRAL = "https://repo.maven.apache.org/maven2/";
    /** ONNX Runtime's names for the same platforms, inside its one jar. */
    private static final Map<String, String> ONNX_RUNTIME_PLATFORM = Map.of(
            "linux-x86_64", "linux-x64", "linux-aarch64", "linux-aarch64", "osx-aarch64", "osx-aarch64");

    @Test
    void everyPlatformProfileResolvesFromMavenCentral() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("..", "pom.xml").toFile());
        String libtorchVersion = dependencyVersion(pom, "pytorch-native-cpu");
        String nettyVersion = property(pom.getDocumentElement(), "netty.version");
        Map<String, Element> profiles = new LinkedHashMap<>();
        NodeList nodes = pom.getElementsByTagName("profile");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element profile = (Element) nodes.item(i);
            profiles.put(text(profile, "id"), profile);
        }
        assertEquals(Set.of("linux-x86_64", "linux-aarch64", "osx-aarch64"), profiles.keySet());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        for (Map.Entry<String, Element> profile : profiles.entrySet()) {
            String platform = profile.getKey();
            Element activation = (Element) profile.getValue().getElementsByTagName("os").item(0);
            assertNotNull(activation, platform + " is activated by the build's OS");
            String classifier = property(profile.getValue(), "djl.native.classifier");
            assertEquals(platform, classifier);
            assertServed(http, "ai/djl/pytorch/pytorch-native-cpu/" + libtorchVersion + "/pytorch-native-cpu-"
                    + libtorchVersion + "-" + classifier + ".jar");
            String epoll = property(profile.getValue(), "netty.epoll.classifier");
            assertServed(http, "io/netty/netty-transport-native-epoll/" + nettyVersion
                    + "/netty-transport-native-epoll-" + nettyVersion + "-" + epoll + ".jar");
            assertTrue(entriesOfJarHolding("jnilib/pytorch.properties").stream()
                    .anyMatch(name -> name.startsWith("jnilib/" + classifier + "/cpu/")),
                    "pytorch-jni has " + classifier + "'s JNI library");
            assertTrue(entriesOfJarHolding("ai/onnxruntime/OrtEnvironment.class").stream().anyMatch(name ->
                            name.startsWith("ai/onnxruntime/native/" + ONNX_RUNTIME_PLATFORM.get(platform) + "/")),
                    "onnxruntime has " + platform + "'s library");
        }
    }

    private static void assertServed(HttpClient http, String path) throws IOException, InterruptedException {
        HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(CENTRAL + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, response.statusCode(), "Maven Central serves " + path);
    }

    private static java.util.List<String> entriesOfJarHolding(String resource) throws IOException {
        URL url = PlatformProfilesTest.class.getClassLoader().getResource(resource);
        assertNotNull(url, resource + " on the class path");
        JarURLConnection connection = (JarURLConnection) url.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            return jar.stream().map(java.util.zip.ZipEntry::getName).toList();
        }
    }

    private static String dependencyVersion(Document pom, String artifactId) {
        NodeList dependencies = pom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            if (artifactId.equals(text(dependency, "artifactId"))) {
                return text(dependency, "version");
            }
        }
        throw new AssertionError("no " + artifactId + " in the root pom");
    }

    private static String property(Element scope, String name) {
        Element properties = (Element) scope.getElementsByTagName("properties").item(0);
        return text(properties, name);
    }

    private static String text(Element parent, String tag) {
        return parent.getElementsByTagName(tag).item(0).getTextContent().trim();
    }
}
