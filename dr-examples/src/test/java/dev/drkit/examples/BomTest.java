package dev.drkit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * dr-bom lists every published drkit artifact (every module of the build that is a library, i.e.
 * that builds a Javadoc jar) at the build's version, and only those.
 */
class BomTest {
  private static final Path ROOT = Path.of("..");

  private static Document xml(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(file.toFile());
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element e && e.getTagName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  private static String text(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? "" : c.get(0).getTextContent().trim();
  }

  @Test
  void theBomListsEveryLibraryModuleAtTheBuildsVersion() throws Exception {
    Element parent = xml(ROOT.resolve("pom.xml")).getDocumentElement();
    String version = text(parent, "version");
    Set<String> libraries = new TreeSet<>();
    for (Element m : children(children(parent, "modules").get(0), "module")) {
      Path pom = ROOT.resolve(m.getTextContent().trim()).resolve("pom.xml");
      Element project = xml(pom).getDocumentElement();
      String packaging = text(project, "packaging");
      String content = Files.readString(pom);
      boolean application = content.contains("<maven.javadoc.skip>true</maven.javadoc.skip>");
      if (!packaging.equals("pom") && !application) {
        libraries.add(text(project, "artifactId"));
      }
    }
    assertThat(libraries).contains("dr-core", "dr-backup", "dr-micrometer").doesNotContain("dr-examples", "benchmarks");

    Element bom = xml(ROOT.resolve("dr-bom/pom.xml")).getDocumentElement();
    assertThat(text(bom, "version")).isEqualTo(version);
    assertThat(children(bom, "parent")).as("a BOM must not inherit the parent's third-party pins").isEmpty();
    Set<String> listed = new TreeSet<>();
    Element deps = children(children(bom, "dependencyManagement").get(0), "dependencies").get(0);
    for (Element d : children(deps, "dependency")) {
      assertThat(text(d, "groupId")).isEqualTo("dev.drkit");
      assertThat(text(d, "version")).isEqualTo("${project.version}");
      listed.add(text(d, "artifactId"));
    }
    assertThat(listed).isEqualTo(libraries);
  }
}
