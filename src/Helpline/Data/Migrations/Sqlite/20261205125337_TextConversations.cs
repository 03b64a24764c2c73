using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TextConversations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "SecretHash",
                table: "Conversations",
                type: "TEXT",
                maxLength: 64,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 64);

            migrationBuilder.AddColumn<string>(
                name: "TextThread",
                table: "Conversations",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Delivery",
                table: "ChatMessages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ErrorCode",
                table: "ChatMessages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ProviderSid",
                table: "ChatMessages",
                type: "TEXT",
                maxLength: 34,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "MessageMedia",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MessageId = table.Column<long>(type: "INTEGER", nullable: false),
                    ContactId = table.Column<long>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", nullable: true),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MessageMedia", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MessageMedia_ChatMessages_MessageId",
                        column: x => x.MessageId,
                        principalTable: "ChatMessages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_TextThread",
                table: "Conversations",
                column: "TextThread",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_ProviderSid",
                table: "ChatMessages",
                column: "ProviderSid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MessageMedia_ContactId",
                table: "MessageMedia",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_MessageMedia_MessageId",
                table: "MessageMedia",
                column: "MessageId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MessageMedia");

            migrationBuilder.DropIndex(
                name: "IX_Conversations_TextThread",
                table: "Conversations");

            migrationBuilder.DropIndex(
                name: "IX_ChatMessages_ProviderSid",
                table: "ChatMessages");

            migrationBuilder.DropColumn(
                name: "TextThread",
                table: "Conversations");

            migrationBuilder.DropColumn(
                name: "Delivery",
                table: "ChatMessages");

            migrationBuilder.DropColumn(
                name: "ErrorCode",
                table: "ChatMessages");

            migrationBuilder.DropColumn(
                name: "ProviderSid",
                table: "ChatMessages");

            migrationBuilder.AlterColumn<string>(
                name: "SecretHash",
                table: "Conversations",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 64,
                oldNullable: true);
        }
    }
}
