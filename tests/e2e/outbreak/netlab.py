"""Network namespaces for the outbreak test: a LAN switch (a Linux bridge), hosts
on it, a router doing SNAT, and an "internet".

Every namespace is named TAG-ROLE, TAG unique per run, and every veth pair is
created with both ends directly inside their namespaces, so nothing is added
to the root namespace and two runs at once never meet (they may even use the
same addresses). close() deletes every namespace made; their interfaces go
with them.
"""
import subprocess


class LabError(Exception):
    pass


class Lab:
    def __init__(self, tag):
        self.tag = tag
        self.namespaces = []

    def ns(self, role):
        return f"{self.tag}-{role}"

    def run(self, *cmd, stdin=None):
        r = subprocess.run(list(cmd), input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise LabError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def exec_prefix(self, role):
        return ["ip", "netns", "exec", self.ns(role)]

    def in_ns(self, role, *cmd, stdin=None):
        return self.run(*self.exec_prefix(role), *cmd, stdin=stdin)

    def add_namespace(self, role):
        name = self.ns(role)
        self.run("ip", "netns", "add", name)
        self.namespaces.append(name)
        self.run("ip", "-n", name, "link", "set", "lo", "up")

    def add_link(self, role_a, if_a, role_b, if_b, mac_a=None):
        """A veth pair: if_a in role_a's namespace, if_b in role_b's, both up."""
        cmd = ["ip", "link", "add", if_a, "netns", self.ns(role_a)]
        if mac_a:
            cmd += ["address", mac_a]
        cmd += ["type", "veth", "peer", "name", if_b, "netns", self.ns(role_b)]
        self.run(*cmd)
        self.run("ip", "-n", self.ns(role_a), "link", "set", if_a, "up")
        self.run("ip", "-n", self.ns(role_b), "link", "set", if_b, "up")

    def add_bridge(self, role, name, ports):
        n = self.ns(role)
        self.run("ip", "-n", n, "link", "add", name, "type", "bridge")
        for p in ports:
            self.run("ip", "-n", n, "link", "set", p, "master", name)
        self.run("ip", "-n", n, "link", "set", name, "up")

    def add_address(self, role, ifname, cidr):
        self.run("ip", "-n", self.ns(role), "addr", "add", cidr, "dev", ifname)

    def default_route(self, role, via):
        self.run("ip", "-n", self.ns(role), "route", "add", "default", "via", via)

    def enable_forwarding(self, role):
        self.in_ns(role, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")

    def nft(self, role, ruleset):
        self.in_ns(role, "nft", "-f", "-", stdin=ruleset)

    def close(self):
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.namespaces = []
