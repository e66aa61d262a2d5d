#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checkers for gptctl's fleet outputs, written from the rules of the
systems that consume them (not from gptctl's code):

  check.py labels FILE           NFD feature file: Kubernetes label rules
  check.py labels-selftest       the label checker rejects bad labels
  check.py kubevirt YAML JSON    KubeVirt patch: YAML parses, pciHostDevices
                                 schema, extended-resource names, -j agrees
  check.py nvidia-names PCIIDS   VENDOR:DEVICE -> NVIDIA plugin's name, one
                                 per stdin line ("10de:2330"), re-implemented
                                 from kubevirt-gpu-device-plugin's Go code
  check.py nova CONF [--bad] [--vf ADDR,PF,VENDOR,DEVICE]...
                                 Nova's own parsers accept CONF's [pci]
                                 (with --bad: must reject it); each --vf
                                 (an SR-IOV VF of PF) is assignable by
                                 Nova's Whitelist as a type-VF device, and
                                 a type-VF alias requests its ID

Exit status 0 when the check holds; diagnostics go to stdout as '#' lines.
Debian packages: python3-yaml, python3-jsonschema, python3-nova.
"""
import json
import re
import sys

# --- Kubernetes names (k8s.io/apimachinery/pkg/util/validation) ----------
# qualified name: [prefix/]name; prefix a DNS-1123 subdomain (<= 253),
# name <= 63, ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
QNAME = re.compile(r'^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$')
DNS1123_SUB = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
LABEL_VALUE = re.compile(r'^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$')


def part_errors(what, part, maxlen, regex, fault):
    """Kubernetes' rule for each part of a qualified name: non-empty, at
    most maxlen characters, matching regex (fault says how it does not)."""
    if not part:
        return ['%s part must be non-empty' % what]
    if len(part) > maxlen:
        return ['%s part longer than %d' % (what, maxlen)]
    if not regex.match(part):
        return ['%s part %s' % (what, fault)]
    return []


def qualified_name_errors(key):
    errs = []
    parts = key.split('/')
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        errs += part_errors('prefix', prefix, 253, DNS1123_SUB, 'is not a DNS-1123 subdomain')
    else:
        return ['more than one /']
    return errs + part_errors('name', name, 63, QNAME, 'has bad characters or ends')


def label_errors(key, value):
    errs = qualified_name_errors(key)
    if '/' in key:
        prefix = key.split('/')[0]
        if prefix == 'kubernetes.io' or prefix.endswith('.kubernetes.io'):
            errs.append('kubernetes.io namespace is reserved')
    if len(value) > 63:
        errs.append('value longer than 63')
    elif not LABEL_VALUE.match(value):
        errs.append('value must start and end alphanumeric, [-_.A-Za-z0-9]')
    return errs


def extended_resource_errors(name):
    # IsExtendedResourceName: not native (domain outside kubernetes.io,
    # and qualified), and "requests." + name is a qualified name.
    errs = qualified_name_errors(name)
    if '/' not in name:
        errs.append('no domain: a native resource name')
    else:
        dom = name.split('/')[0]
        if dom == 'kubernetes.io' or dom.endswith('.kubernetes.io'):
            errs.append('kubernetes.io domain is native')
    errs += ['requests.: ' + e for e in qualified_name_errors('requests.' + name)]
    return errs


def cmd_labels(path):
    bad = 0
    labels = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            if '=' not in line:
                print('# line %d: no "=": %r' % (n, line))
                bad += 1
                continue
            k, v = line.split('=', 1)
            errs = label_errors(k, v)
            if not k.startswith('gpupt.io/'):
                errs.append('not in the gpupt.io namespace')
            if errs:
                print('# line %d: %r: %s' % (n, line, '; '.join(errs)))
                bad += 1
            labels[k] = v
    if not labels:
        print('# no labels in', path)
        return 1
    print(json.dumps(labels, sort_keys=True))
    return 1 if bad else 0


def cmd_labels_selftest():
    good = [('gpupt.io/iommu', 'true'), ('gpupt.io/vfio-gpus', '8'),
            ('gpupt.io/vfio-10de-2330', '8'), ('gpupt.io/a', ''),
            ('gpupt.io/' + 'a' * 63, 'b' * 63)]
    bad = [('kubernetes.io/iommu', 'true'),            # reserved namespace
           ('node.kubernetes.io/x', 'true'),           # reserved namespace
           ('gpupt.io/' + 'a' * 64, '1'),              # name > 63
           ('a' * 254 + '/x', '1'),                    # prefix > 253
           ('gpupt.io/x', 'v' * 64),                   # value > 63
           ('gpupt.io/x', '-true'),                    # value starts badly
           ('gpupt.io/x', 'true_'),                    # value ends badly
           ('gpupt.io/x', 'a b'),                      # blank in value
           ('gpupt.io/-x', '1'),                       # name starts badly
           ('gpupt.io/x.', '1'),                       # name ends badly
           ('gpupt.io/a/b', '1'),                      # two slashes
           ('GPUPT.io/x', '1'),                        # upper-case prefix
           ('gpupt..io/x', '1'),                       # empty DNS label
           ('gpupt.io/', '1'),                         # empty name
           ('/x', '1'),                                # empty prefix
           ('gpupt.io/x y', '1')]                      # blank in name
    fails = 0
    for k, v in good:
        if label_errors(k, v):
            print('# accepted label rejected: %r=%r: %s' % (k, v, label_errors(k, v)))
            fails += 1
    for k, v in bad:
        if not label_errors(k, v):
            print('# bad label accepted: %r=%r' % (k, v))
            fails += 1
    for r in ['gpupt.io/GH100_H100_SXM5_80GB', 'nvidia.com/GH100_H100_SXM5_80GB']:
        if extended_resource_errors(r):
            print('# good resource rejected:', r, extended_resource_errors(r))
            fails += 1
    for r in ['GH100', 'kubernetes.io/gpu', 'gpupt.io/_x', 'gpupt.io/' + 'x' * 64]:
        if not extended_resource_errors(r):
            print('# bad resource accepted:', r)
            fails += 1
    return 1 if fails else 0


# --- KubeVirt permittedHostDevices.pciHostDevices ---------------------------
# From KubeVirt's API (staging/src/kubevirt.io/api/core/v1/types.go,
# PciHostDevice): pciVendorSelector and resourceName required strings,
# externalResourceProvider optional bool; nothing else.
PCI_HOST_DEVICES_SCHEMA = {
    'type': 'object',
    'required': ['spec'],
    'additionalProperties': False,
    'properties': {'spec': {
        'type': 'object', 'required': ['configuration'], 'additionalProperties': False,
        'properties': {'configuration': {
            'type': 'object', 'required': ['permittedHostDevices'], 'additionalProperties': False,
            'properties': {'permittedHostDevices': {
                'type': 'object', 'required': ['pciHostDevices'], 'additionalProperties': False,
                'properties': {'pciHostDevices': {
                    'type': 'array',
                    'items': {
                        'type': 'object',
                        'required': ['pciVendorSelector', 'resourceName'],
                        'additionalProperties': False,
                        'properties': {
                            'pciVendorSelector': {'type': 'string',
                                                  'pattern': '^[0-9A-F]{4}:[0-9A-F]{4}$'},
                            'resourceName': {'type': 'string', 'minLength': 3},
                            'externalResourceProvider': {'type': 'boolean'},
                        },
                    },
                }},
            }},
        }},
    }},
}


def cmd_kubevirt(yaml_path, json_path):
    import jsonschema
    import yaml
    with open(yaml_path) as f:
        doc = yaml.safe_load(f)
    with open(json_path) as f:
        jdoc = json.load(f)
    fails = 0
    for name, d in (('yaml', doc), ('json', jdoc)):
        try:
            jsonschema.validate(d, PCI_HOST_DEVICES_SCHEMA)
        except jsonschema.ValidationError as e:
            print('# %s does not match the pciHostDevices schema: %s' % (name, e.message))
            fails += 1
    if doc != jdoc:
        print('# the YAML and the JSON patch differ:\n#   %r\n#   %r' % (doc, jdoc))
        fails += 1
    if fails:
        return 1
    devs = doc['spec']['configuration']['permittedHostDevices']['pciHostDevices']
    names = [d['resourceName'] for d in devs]
    for r in names:
        errs = extended_resource_errors(r)
        if errs:
            print('# resourceName %r: %s' % (r, '; '.join(errs)))
            fails += 1
    sels = [d['pciVendorSelector'] for d in devs]
    if len(set(sels)) != len(sels):
        print('# duplicate selectors:', sels)
        fails += 1
    print(json.dumps([[d['pciVendorSelector'], d['resourceName'],
                       d.get('externalResourceProvider', False)] for d in devs]))
    return 1 if fails else 0


def nvidia_device_name(pci_ids, device_id):
    """kubevirt-gpu-device-plugin's getDeviceName(), line by line."""
    with open(pci_ids, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    i = 0
    while i < len(lines) and not lines[i].startswith('10de'):
        i += 1
    prefix = '\t' + device_id
    for line in lines[i + 1:]:
        if line.startswith('#'):
            continue
        if not line.startswith('\t'):
            return ''
        if not line.startswith(prefix):
            continue
        name = line[len(prefix):].strip().upper()
        name = name.replace('/', '_').replace('.', '_')
        name = re.sub(r'\s+', '_', name)
        name = re.sub(r'[^a-zA-Z0-9_.]+', '', name)
        return name
    return ''


def cmd_nvidia_names(pci_ids):
    for line in sys.stdin:
        v, d = line.split()[0].split(':')
        name = nvidia_device_name(pci_ids, d) or d
        print('%s:%s nvidia.com/%s' % (v.upper(), d.upper(), name))
    return 0


# --- Nova ---------------------------------------------------------------------
def nova_vf_errors(wl, al, vfs):
    errs = []
    for v in vfs:
        addr, pf, vendor, product = v.split(',')
        dev = {'vendor_id': vendor, 'product_id': product, 'address': addr,
               'parent_addr': pf, 'dev_type': 'type-VF'}
        if not wl.device_assignable(dev):
            errs.append('VF %s (%s:%s of PF %s) is not assignable by the device_spec'
                        % (addr, vendor, product, pf))
        if not any(spec.get('vendor_id') == vendor and spec.get('product_id') == product
                   and spec.get('dev_type') == 'type-VF'
                   for _, specs in al.values() for spec in specs):
            errs.append('no type-VF alias requests %s:%s' % (vendor, product))
    return errs


def cmd_nova(conf_path, expect_bad, vfs=()):
    import logging
    logging.disable(logging.CRITICAL)
    import nova.conf
    from nova import exception
    from nova.pci import request, whitelist
    conf = nova.conf.CONF
    conf(args=[], default_config_files=[conf_path], project='nova')
    specs = list(conf.pci.device_spec)
    aliases = list(conf.pci.alias)
    try:
        wl = whitelist.Whitelist(specs)
        al = request._get_alias_from_config()
    except (exception.PciConfigInvalidSpec, exception.PciInvalidAlias,
            exception.PciDeviceWrongAddressFormat, exception.PciDeviceInvalidDeviceName,
            exception.NovaException, ValueError) as e:
        if expect_bad:
            print('# rejected as it should be:', type(e).__name__, e)
            return 0
        print('# Nova rejects it:', type(e).__name__, e)
        return 1
    if expect_bad:
        print('# Nova accepted a bad snippet:', specs, aliases)
        return 1
    if not specs or not aliases or len(wl.specs) != len(specs):
        print('# nothing to check:', specs, aliases)
        return 1
    errs = nova_vf_errors(wl, al, vfs)
    if errs:
        print('# ' + '\n# '.join(errs))
        return 1
    out = []
    for s in wl.specs:
        out.append({'vendor_id': s.vendor_id, 'product_id': s.product_id,
                    'address': str(s.address.pci_address_spec) if s.address else None,
                    'tags': s.tags})
    print(json.dumps({'device_spec': out,
                      'alias': {k: [v[0], v[1]] for k, v in al.items()}}, sort_keys=True))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == 'labels':
        return cmd_labels(argv[2])
    if len(argv) >= 2 and argv[1] == 'labels-selftest':
        return cmd_labels_selftest()
    if len(argv) >= 4 and argv[1] == 'kubevirt':
        return cmd_kubevirt(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == 'nvidia-names':
        return cmd_nvidia_names(argv[2])
    if len(argv) >= 3 and argv[1] == 'nova':
        rest = argv[3:]
        vfs = [rest[i + 1] for i, a in enumerate(rest[:-1]) if a == '--vf']
        return cmd_nova(argv[2], '--bad' in rest, vfs)
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
