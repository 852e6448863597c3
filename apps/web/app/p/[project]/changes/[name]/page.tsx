import { SpecPage } from "~/lib/spec-page";

export default async function Page({
  params,
}: {
  params: Promise<{ project: string; name: string }>;
}) {
  const { project, name } = await params;
  return <SpecPage project={project} kind="change" name={name} />;
}
