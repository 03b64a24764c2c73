using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ChatReportFigures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ChatSeconds",
                table: "ReportCounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "ChattingSeconds",
                table: "ReportCounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "FirstReplies",
                table: "ReportCounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "FirstReplyMilliseconds",
                table: "ReportCounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "MostChatsAtOnce",
                table: "ReportCounts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "FirstReplyMilliseconds",
                table: "Conversations",
                type: "INTEGER",
                nullable: true);

            // Chats answered before this version: their time to first reply, from what was kept.
            migrationBuilder.Sql("""
                UPDATE "Conversations" SET "FirstReplyMilliseconds" = (SELECT MAX(0, CAST(ROUND((julianday("Conversations"."FirstReplyAt") - julianday(c."QueuedAt")) * 86400000) AS INTEGER)) FROM "Contacts" c WHERE c."Id" = "Conversations"."ContactId" AND c."QueuedAt" IS NOT NULL) WHERE "FirstReplyAt" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ChatSeconds",
                table: "ReportCounts");

            migrationBuilder.DropColumn(
                name: "ChattingSeconds",
                table: "ReportCounts");

            migrationBuilder.DropColumn(
                name: "FirstReplies",
                table: "ReportCounts");

            migrationBuilder.DropColumn(
                name: "FirstReplyMilliseconds",
                table: "ReportCounts");

            migrationBuilder.DropColumn(
                name: "MostChatsAtOnce",
                table: "ReportCounts");

            migrationBuilder.DropColumn(
                name: "FirstReplyMilliseconds",
                table: "Conversations");
        }
    }
}
