// Next.js configuration for the Homeroom web app (app/). Kept deliberately plain.
// Telemetry: Next reads NEXT_TELEMETRY_DISABLED; scripts and CI set it, this covers direct runs.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
