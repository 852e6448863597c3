import { SpecPage } from "~/lib/spec-page";

export default async function Page({
  params,
}: {
  params: Promise<{ project: string; id: string[] }>;
}) {
  const { project, id } = await params;
  return <SpecPage project={project} kind="spec" name={id.join("/")} />;
}
