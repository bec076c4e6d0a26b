// The documented rules of the buildx parsers that are not exported, as facts:
// --add-host (docs: "host:ip" or "host=ip", IPv6 in brackets, several IPs as a quoted list,
// host-gateway through the Docker engine), --build-arg (KEY=VALUE, bare KEY from the environment),
// --label (KEY=VALUE, bare KEY empty). A RegExp means "refused, saying this".

export const ADD_HOST_RULES: Array<[string[], string | RegExp]> = [
  [['docker:10.180.0.1'], 'docker=10.180.0.1'],
  [['docker=10.180.0.1'], 'docker=10.180.0.1'],
  [['my-hostname=[2001:db8::33]'], 'my-hostname=2001:db8::33'],
  [['my-hostname:[2001:db8::33]'], 'my-hostname=2001:db8::33'],
  [['my_hostname_v6=2001:db8::33'], 'my_hostname_v6=2001:db8::33'],
  [['h:::1'], 'h=::1'],
  [['h=[10.0.0.1]'], 'h=10.0.0.1'],
  [['a=1.1.1.1,b=2.2.2.2'], 'a=1.1.1.1,b=2.2.2.2'],
  [['"h=10.0.0.1,10.0.0.2"'], 'h=10.0.0.1,h=10.0.0.2'],
  [['a=1.1.1.1', 'b:::1'], 'a=1.1.1.1,b=::1'],
  [[''], ''],
  [['h=host-gateway'], /host-gateway/],
  [['nohost'], /not HOST=IP/],
  [['=10.0.0.1'], /not HOST=IP/],
  [['h='], /not HOST=IP/],
  [['h=999.1.1.1'], /not an IP/],
  [['h=010.0.0.1'], /not an IP/],
  [['h=fe80::1%eth0'], /not an IP/],
  [['h=[]'], /not an IP/],
  [['h=example.com'], /not an IP/],
  [['h:a:b'], /not an IP/],
  [['"h=10.0.0.1,bad"'], /not an IP/],
  [['"unclosed'], /not closed/],
];

export const BUILD_ARG_RULES: Array<[string[], Record<string, string> | RegExp]> = [
  [['A=1', 'B=x=y', 'C='], { A: '1', B: 'x=y', C: '' }],
  [['FROM_ENV'], { FROM_ENV: 'env-value' }],
  [['EMPTY_ENV'], { EMPTY_ENV: '' }],
  [['UNSET'], {}],
  [['A=1', 'A=2'], { A: '2' }],
  [['A = 1'], { 'A ': ' 1' }],
  [['=x'], /its key is empty/],
  [['='], /its key is empty/],
  [['BUILDKIT_SYNTAX='], /BUILDKIT_SYNTAX/],
  [['BUILDKIT_SYNTAX=  '], /BUILDKIT_SYNTAX/],
  [['BUILDKIT_SYNTAX=docker/dockerfile:1'], { BUILDKIT_SYNTAX: 'docker/dockerfile:1' }],
];

export const LABEL_RULES: Array<[string[], Record<string, string> | RegExp]> = [
  [['maintainer=me', 'a=b=c'], { maintainer: 'me', a: 'b=c' }],
  [['KEY'], { KEY: '' }],
  [['FROM_ENV'], { FROM_ENV: '' }],
  [['k=1', 'k'], { k: '' }],
  [['=v'], /its key is empty/],
];
