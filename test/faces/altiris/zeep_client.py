"""A WSDL-generated PatchWorkflowSvc client (python3-zeep), for test/faces/altiris/zeep.test.ts.

It knows the service's URL and the seed's method names and parameters; zeep builds every call from the
WSDL the server publishes. Usage: zeep_client.py <phase> <json config>; prints one JSON object.
Phases: assess, story, follow, post (calls through SOAP 1.1 and the HttpPost binding), every (each
method of the seed once, recording result or fault, then the "reads" that show what the calls changed).
"""
import json
import sys
import time

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client, Settings
from zeep.exceptions import Fault
from zeep.transports import Transport


def clients(cfg):
    session = Session()
    session.auth = HTTPBasicAuth(cfg["user"], cfg["password"])
    client = Client(cfg["url"] + "?WSDL", transport=Transport(session=session), settings=Settings(strict=True))
    soap11 = client.service
    soap12 = client.bind("PatchWorkflowSvc", "PatchWorkflowSvcSoap12")
    return client, soap11, soap12


def http_post(client):
    """the WSDL's HttpPost binding: zeep makes the form post to …asmx/Name from it"""
    return client.bind("PatchWorkflowSvc", "PatchWorkflowSvcHttpPost")


def text(v):
    return "" if v is None else v


def main():
    phase = sys.argv[1]
    cfg = json.loads(sys.argv[2])
    client, ns, ns12 = clients(cfg)
    out = {}
    if phase == "assess":
        task = ns.CreateWindowsUpdateAssessmentTask("Assess", "", "")
        out["task"] = task
        out["instance"] = ns.RunTask(task, "")
    elif phase == "story":
        bulletins = text(ns.ResolveCveIdsToBulletins(",".join(cfg["cves"]), False))
        out["bulletins"] = bulletins
        out["bulletins12"] = text(ns12.ResolveCveIdsToBulletins(",".join(cfg["cves"]), False))
        updates = text(ns.ResolveToUpdates(bulletins))
        out["updates"] = updates
        out["stagedBefore"] = ns.IsStaged(bulletins)
        out["ensureStaged"] = ns.EnsureStaged(bulletins, True)
        out["stagedAfter"] = ns12.IsStaged(bulletins)
        distribution = ns.CreateUpdatePolicyViaUpdates("zeep policy", updates, cfg["group"], True)
        out["distribution"] = distribution
        policy = text(ns.GetPolicyIdFromTaskInstance(distribution, True))
        out["policy"] = policy
        out["policies"] = text(ns.ResolveToPolicies(bulletins))
        out["schedule"] = ns.SetSoftwareUpdatePolicySchedule(policy, cfg["schedule"])
        out["policyName"] = text(ns12.GetProperty(policy, "Name"))
        task = ns.CreatePatchInstallationTask("zeep install", updates, True, "")
        out["task"] = task
        out["instance"] = ns.RunTask(task, "")
    elif phase == "follow":
        deadline = time.time() + 20
        status = ""
        while time.time() < deadline:
            status = text(ns.GetTaskInstanceStatus(cfg["instance"]))
            if status in ("Completed", "Failed"):
                break
            time.sleep(0.05)
        out["status"] = status
        out["status12"] = text(ns12.GetTaskInstanceStatus(cfg["instance"]))
        out["running"] = ns.IsTaskRunning(cfg["task"])
    elif phase == "post":
        post = http_post(client)
        out["calls"] = []
        for name, args in cfg["calls"]:
            out["calls"].append([name, text(getattr(ns, name)(*args)), text(getattr(post, name)(*args))])
    elif phase == "every":
        results = {}
        for name, args in cfg["calls"]:
            # "$Method" stands for the value an earlier call of Method returned
            args = [results[a[1:]]["value"] if isinstance(a, str) and a.startswith("$") else a for a in args]
            try:
                value = getattr(ns, name)(*args)
                results[name] = {"ok": True, "value": value}
            except Fault as f:
                results[name] = {"ok": False, "fault": f.message, "code": str(f.code)}
        out["results"] = results
        reads = {}
        for label, name, args in cfg.get("reads", []):
            args = [results[a[1:]]["value"] if isinstance(a, str) and a.startswith("$") else a for a in args]
            reads[label] = text(getattr(ns, name)(*args))
        out["reads"] = reads
        out["operations"] = sorted(client.wsdl.bindings[
            "{http://tempuri.org/}PatchWorkflowSvcSoap"
        ]._operations.keys())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
