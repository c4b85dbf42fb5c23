package io.pickspin.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.pickspin.helm.Chart.ValuesSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What the replica driver may do in the cluster: exactly what scaling needs, nothing more. */
class RbacTest {

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void driverMayScaleDeploymentsAndPatchKnativeServicesAndScaledObjects(ValuesSet set) {
    Rendered r = set.render();
    boolean clusterWide = set.helmValues().at("/rbac/clusterWide").asBoolean();
    List<List<PolicyRule>> ruleSets = clusterWide
        ? r.all(ClusterRole.class).stream().map(ClusterRole::getRules).toList()
        : r.all(Role.class).stream().map(Role::getRules).toList();
    assertTrue(!ruleSets.isEmpty(), "no driver role rendered");

    for (List<PolicyRule> rules : ruleSets) {
      assertEquals(Set.of("get", "list", "watch"), verbs(rules, "", "pods"));
      assertEquals(Set.of("get", "list", "watch"), verbs(rules, "apps", "deployments"));
      assertTrue(verbs(rules, "apps", "deployments/scale").containsAll(Set.of("get", "update", "patch")));
      assertTrue(verbs(rules, "serving.knative.dev", "services").containsAll(Set.of("get", "list", "watch", "patch")));
      assertTrue(verbs(rules, "keda.sh", "scaledobjects").containsAll(Set.of("get", "list", "watch", "patch")));
      for (PolicyRule rule : rules) {
        assertTrue(rule.getVerbs().stream().noneMatch(v -> v.equals("*") || v.equals("create") || v.equals("delete")),
            () -> "the driver scales, it never creates or deletes: " + rule);
        assertTrue(rule.getResources().stream().noneMatch(res -> res.equals("*") || res.equals("secrets")), rule::toString);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ValuesSet.class)
  void bindingsGrantTheRoleToThePodsServiceAccount(ValuesSet set) {
    Rendered r = set.render();
    String account = r.controlPlane().getSpec().getTemplate().getSpec().getServiceAccountName();
    r.get(ServiceAccount.class, account);
    List<? extends HasMetadata> bindings = r.all(RoleBinding.class).isEmpty() ? r.all(ClusterRoleBinding.class) : r.all(RoleBinding.class);
    assertTrue(!bindings.isEmpty());
    for (HasMetadata binding : bindings) {
      List<Subject> subjects = binding instanceof RoleBinding rb ? rb.getSubjects() : ((ClusterRoleBinding) binding).getSubjects();
      RoleRef ref = binding instanceof RoleBinding rb ? rb.getRoleRef() : ((ClusterRoleBinding) binding).getRoleRef();
      assertEquals(1, subjects.size());
      assertEquals("ServiceAccount", subjects.get(0).getKind());
      assertEquals(account, subjects.get(0).getName());
      assertEquals(Chart.NAMESPACE, subjects.get(0).getNamespace());
      if (binding instanceof RoleBinding) {
        Role role = r.all(Role.class).stream()
            .filter(x -> x.getMetadata().getName().equals(ref.getName()))
            .filter(x -> x.getMetadata().getNamespace().equals(binding.getMetadata().getNamespace()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("binding to a missing role " + ref));
        assertEquals("Role", ref.getKind(), role.getMetadata().getName());
      } else {
        assertEquals("ClusterRole", ref.getKind());
        r.get(ClusterRole.class, ref.getName());
      }
    }
  }

  @Test
  void backendsInAnotherNamespaceGetARoleThereToo() {
    Rendered r = ValuesSet.KNATIVE.render();
    assertEquals(Set.of("ai", "llm-backends"), namespaces(r.all(Role.class)));
    assertEquals(Set.of("ai", "llm-backends"), namespaces(r.all(RoleBinding.class)));
    assertTrue(r.all(ClusterRole.class).isEmpty());
  }

  @Test
  void clusterWideUsesAClusterRoleInstead() {
    Rendered r = ValuesSet.KEDA_MONITORING.render();
    assertEquals(1, r.all(ClusterRole.class).size());
    assertEquals(1, r.all(ClusterRoleBinding.class).size());
    assertTrue(r.all(Role.class).isEmpty());
    assertTrue(r.all(RoleBinding.class).isEmpty());
  }

  @Test
  void rbacAndServiceAccountCanBeManagedOutsideTheChart() {
    Rendered r = Chart.render(null, Map.of("rbac.create", false, "serviceAccount.create", false, "serviceAccount.name", "platform-sa"));
    assertTrue(r.all(Role.class).isEmpty() && r.all(RoleBinding.class).isEmpty() && r.all(ClusterRole.class).isEmpty());
    assertTrue(r.all(ServiceAccount.class).isEmpty());
    assertEquals("platform-sa", r.controlPlane().getSpec().getTemplate().getSpec().getServiceAccountName());
  }

  private static Set<String> verbs(List<PolicyRule> rules, String group, String resource) {
    Set<String> verbs = new TreeSet<>();
    for (PolicyRule rule : rules) {
      if (rule.getApiGroups().contains(group) && rule.getResources().contains(resource)) verbs.addAll(rule.getVerbs());
    }
    return verbs;
  }

  private static Set<String> namespaces(List<? extends HasMetadata> objects) {
    Set<String> namespaces = new TreeSet<>();
    objects.forEach(o -> namespaces.add(o.getMetadata().getNamespace()));
    return namespaces;
  }
}
