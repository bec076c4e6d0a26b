// Plain shapes of the Control messages we send and read (decoded objects, keepCase, int64 as strings).

export interface AttrEntry {
  Type: string;
  Attrs: Record<string, string>;
}

export interface SolveRequest {
  Ref: string;
  ExporterDeprecated?: string;
  ExporterAttrsDeprecated?: Record<string, string>;
  Session: string;
  Frontend: string;
  FrontendAttrs: Record<string, string>;
  Cache?: { Exports: AttrEntry[]; Imports: AttrEntry[] };
  Entitlements?: string[];
  Exporters?: AttrEntry[];
}

export interface Timestamp {
  seconds: string;
  nanos: number;
}

export interface Vertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  started: Timestamp | null;
  completed: Timestamp | null;
  error: string;
}

export interface VertexStatus {
  ID: string;
  vertex: string;
  name: string;
  current: string;
  total: string;
  timestamp: Timestamp | null;
  started: Timestamp | null;
  completed: Timestamp | null;
}

export interface VertexLog {
  vertex: string;
  timestamp: Timestamp | null;
  stream: string;
  msg: Buffer;
}

export interface VertexWarning {
  vertex: string;
  level: string;
  short: Buffer;
  detail: Buffer[];
  url: string;
  info: { filename: string; data: Buffer; language: string } | null;
  ranges: Array<{ start: { line: number; character: number } | null; end: { line: number; character: number } | null }>;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
  warnings: VertexWarning[];
}

export interface Platform {
  Architecture: string;
  OS: string;
  Variant: string;
  OSVersion: string;
}

export interface BuildkitVersion {
  package: string;
  version: string;
  revision: string;
}

export interface WorkerRecord {
  ID: string;
  Labels: Record<string, string>;
  platforms: Platform[];
  BuildkitVersion: BuildkitVersion | null;
}
