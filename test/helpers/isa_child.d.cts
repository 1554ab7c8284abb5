export function encodeFloats(values: Float32Array): string;
export function decodeFloats(text: string): Float32Array;
export function serveIsaChild<Request, Results>(compute: (addon: unknown, request: Request) => Results): void;
